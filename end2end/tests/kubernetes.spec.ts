// The Kubernetes auth method end to end: a real Vault (OpenBao or labvault), Vaultdeck and a real kube-apiserver.
// Configure the method with "Use this cluster", create the lab's four roles with the bulk
// form (and their service accounts), then ask "Can this pod read it?" for webapp-one.

import { expect, Page, test } from "./support/fixtures";
import { Cluster, kube as kubeAsAdmin, kubeOk as kubeOkAsAdmin, reviewerToken, startCluster } from "./support/cluster";
import { enableKv, flavor, startVault, TestVault, vault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck, LAB_CHECKS } from "./support/servers";
import { logInWithToken, screenshot } from "./support/ui";

let cluster: Cluster;
let lab: TestVault;
let deck: Vaultdeck;

const kube = (method: string, path: string, body?: unknown) => kubeAsAdmin(cluster, method, path, body);
const kubeOk = (method: string, path: string, body?: unknown) => kubeOkAsAdmin(cluster, method, path, body);
let reviewerJwt: string;

const LAB_ACCOUNTS = ["webapp-one", "webapp-two", "backendapp-one", "backendapp-two"];

test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster();
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr, env: { KUBECONFIG: cluster.kubeconfig, ...LAB_CHECKS } });
  reviewerJwt = await reviewerToken(cluster);
  await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/kubernetes", { type: "kubernetes" });
  await enableKv(lab.addr, lab.rootToken, "kv", 2);
  for (const app of ["app_one", "app_two"]) {
    await vaultOk(lab.addr, lab.rootToken, "POST", `kv/data/webapps/${app}`, { data: { password: `${app}-secret` } });
  }
  for (const [name, path] of [
    ["webapp-one-read", "webapps/app_one"],
    ["webapp-two-read", "webapps/app_two"],
    ["backendapp-one-read", "backendapps/app_one"],
    ["backendapp-two-read", "backendapps/app_two"],
  ]) {
    await vaultOk(lab.addr, lab.rootToken, "PUT", `sys/policies/acl/${name}`, { policy: `path "kv/data/${path}" { capabilities = ["read"] }` });
  }
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
  await cluster?.stop();
});

async function openRole(page: Page, role: string) {
  await page.goto(`${deck.url}access/auth/kubernetes/k8s/roles`);
  await page.locator(`[data-testid="role-row"][data-role="${role}"] a`).click();
  await expect(page.getByRole("heading", { name: `Kubernetes role ${role}` })).toBeVisible();
}

async function check(page: Page, namespace: string, account: string, path: string) {
  await page.getByTestId("check-namespace").fill(namespace);
  await page.getByTestId("check-account").fill(account);
  await page.getByTestId("check-path").fill(path);
  await page.getByTestId("check-run").click();
  await expect(page.getByTestId("check-steps")).toBeVisible();
}

test.describe.configure({ mode: "serial" });

test("configure the method with “Use this cluster” and a reviewer JWT", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Kubernetes" }).click();
  await expect(page.getByTestId("cluster-status")).toContainText("Connected to Kubernetes v1.20.2");
  await page.locator('[data-testid="k8s-mount"][data-path="kubernetes"]').getByRole("link", { name: "Configuration" }).click();

  await page.getByTestId("use-this-cluster").click();
  await expect(page.getByTestId("k8s-host")).toHaveValue(cluster.apiUrl);
  await expect(page.getByTestId("k8s-ca")).toHaveValue(/BEGIN CERTIFICATE/);
  await expect(page.getByTestId("ca-facts")).toContainText("valid until");
  await expect(page.getByTestId("reviewer-state")).toContainText("not set");
  await expect(page.getByTestId("reviewer-yaml")).toContainText("name: system:auth-delegator");

  // A bad host is refused with a message, and nothing typed is lost.
  await page.getByTestId("k8s-host").fill("");
  await page.getByTestId("k8s-reviewer-jwt").fill(reviewerJwt);
  await expect(page.getByTestId("reviewer-claims")).toContainText("system:serviceaccount:vault:vault");
  await page.getByTestId("k8s-config-save").click();
  await expect(page.getByTestId("k8s-config-invalid")).toContainText("The Kubernetes host is required");
  await expect(page.getByTestId("k8s-reviewer-jwt")).toHaveValue(reviewerJwt);
  await expect(page.getByTestId("k8s-ca")).toHaveValue(/BEGIN CERTIFICATE/);

  await page.getByTestId("use-this-cluster").click();
  await screenshot(page, "kubernetes-config");
  await page.getByTestId("k8s-config-save").click();
  await expect(page.getByText("Configuration saved.")).toBeVisible();
  await expect(page.getByTestId("reviewer-state")).toContainText("set");
  await expect(page.getByTestId("reviewer-state")).not.toContainText("not set");
  await expect(page.getByTestId("k8s-reviewer-jwt")).toHaveValue("");

  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "auth/kubernetes/config");
  expect(stored.data.kubernetes_host).toBe(cluster.apiUrl);
  expect(stored.data.token_reviewer_jwt_set).toBe(true);
  expect(JSON.stringify(stored)).not.toContain(reviewerJwt);

  // Saving again without the JWT would drop it: the page says so instead of doing it.
  await page.getByTestId("k8s-issuer").fill("https://kubernetes.default.svc");
  await page.getByTestId("k8s-config-save").click();
  await expect(page.getByTestId("k8s-config-invalid")).toContainText("paste it again");
  expect((await vaultOk(lab.addr, lab.rootToken, "GET", "auth/kubernetes/config")).data.token_reviewer_jwt_set).toBe(true);
});

test("create the lab's four roles and their service accounts with the bulk form", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}access/auth`);
  await page.locator('[data-testid="mount-row"][data-path="kubernetes"]').getByRole("link", { name: "kubernetes/" }).click();
  await expect(page.getByTestId("no-roles")).toBeVisible();
  await page.getByTestId("bulk-roles-link").click();

  await page.getByTestId("bulk-lab-names").click();
  await expect(page.getByTestId("bulk-accounts-chip")).toHaveCount(4);
  await expect(page.getByTestId("bulk-row")).toHaveCount(4);
  const first = page.getByTestId("bulk-row").first();
  await expect(first).toContainText("webapp-one-read");
  await expect(first).toContainText("no service account in default yet");
  await page.getByTestId("bulk-token-secrets").check();
  await screenshot(page, "kubernetes-bulk-roles");
  await page.getByTestId("bulk-submit").click();

  await expect(page.getByTestId("bulk-done")).toHaveCount(8);
  await expect(page.getByTestId("bulk-failed")).toHaveCount(0);
  const accounts = await kubeOk("GET", "/api/v1/namespaces/default/serviceaccounts");
  const names = accounts.items.map((item: any) => item.metadata.name);
  for (const account of LAB_ACCOUNTS) expect(names).toContain(account);
  const secret = await kubeOk("GET", "/api/v1/namespaces/default/secrets/webapp-one-token");
  expect(secret.type).toBe("kubernetes.io/service-account-token");
  expect(secret.metadata.annotations["kubernetes.io/service-account.name"]).toBe("webapp-one");
  const role = await vaultOk(lab.addr, lab.rootToken, "GET", "auth/kubernetes/role/backendapp-two");
  expect(role.data.bound_service_account_names).toEqual(["backendapp-two"]);
  expect(role.data.bound_service_account_namespaces).toEqual(["default"]);
  expect(role.data.token_policies).toEqual(["backendapp-two-read"]);

  await page.getByRole("link", { name: "See the roles" }).click();
  await expect(page.getByTestId("role-row")).toHaveCount(4);
  await expect(page.locator('[data-testid="role-row"][data-role="webapp-one"]')).toContainText("webapp-one-read");
});

test("a role made by hand: a missing service account is created from the warning", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}access/auth/kubernetes/k8s/roles`);
  await page.getByTestId("new-role-link").click();
  await page.getByTestId("role-name").fill("frontend");
  await page.getByTestId("role-save").click();
  await expect(page.getByTestId("role-invalid")).toContainText("bound_service_account_names");
  await expect(page.getByTestId("role-name")).toHaveValue("frontend");

  await page.getByTestId("role-sa-names").fill("frontend");
  await page.getByTestId("role-sa-names").press("Enter");
  await page.getByTestId("role-sa-namespaces").fill("web");
  await page.getByTestId("role-sa-namespaces").press("Enter");
  await page.getByTestId("role-policies").fill("frontend-read");
  await page.getByTestId("role-policies").press("Enter");
  await expect(page.getByTestId("unknown-policies")).toContainText("frontend-read");
  await expect(page.getByTestId("missing-account")).toContainText("frontend does not exist in namespace web");
  await page.getByTestId("create-account").click();
  await expect(page.getByTestId("missing-account")).toHaveCount(0);
  expect((await kube("GET", "/api/v1/namespaces/web/serviceaccounts/frontend")).status).toBe(200);

  await page.getByTestId("role-save").click();
  await expect(page.getByRole("heading", { name: "Kubernetes role frontend" })).toBeVisible();
  // HashiCorp Vault 1.15+ — and labvault, which follows it — warns about a role without an
  // audience; OpenBao does not. The warning shows once, however often the role is saved.
  if (flavor() === "labvault") {
    const notice = page.getByTestId("toasts").getByText("Vault warns: Role frontend does not have an audience configured");
    await expect(notice).toHaveCount(1);
    await page.getByTestId("role-save").click();
    await expect(page.getByTestId("role-warnings").locator("li")).toHaveCount(1);
    await expect(notice).toHaveCount(1);
  }
  const role = await vaultOk(lab.addr, lab.rootToken, "GET", "auth/kubernetes/role/frontend");
  expect(role.data.bound_service_account_namespaces).toEqual(["web"]);

  await test.step("deleted behind its typed name; the service account stays", async () => {
    await page.getByTestId("delete-role").click();
    await page.getByTestId("confirm-input").fill("frontnd");
    await expect(page.getByTestId("confirm-action")).toBeDisabled();
    await page.getByTestId("confirm-input").fill("frontend");
    await page.getByTestId("confirm-action").click();
    await expect(page).toHaveURL(`${deck.url}access/auth/kubernetes/k8s/roles`);
    await expect(page.locator('[data-testid="role-row"][data-role="frontend"]')).toHaveCount(0);
    const gone = await fetch(`${lab.addr}/v1/auth/kubernetes/role/frontend`, { headers: { "x-vault-token": lab.rootToken } });
    expect(gone.status).toBe(404);
    expect((await kube("GET", "/api/v1/namespaces/web/serviceaccounts/frontend")).status).toBe(200);
  });
});

test("“Can this pod read it?” for webapp-one: its own secret yes, the other app's no", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await openRole(page, "webapp-one");
  await expect(page.getByTestId("check-namespace")).toHaveValue("default");
  await expect(page.getByTestId("check-account")).toHaveValue("webapp-one");

  await check(page, "default", "webapp-one", "kv/data/webapps/app_one");
  await expect(page.getByTestId("check-verdict")).toHaveText("Yes: this pod can do it.");
  await expect(page.locator('[data-testid="check-step"][data-outcome="passed"]')).toHaveCount(5);
  await expect(page.getByTestId("check-metadata")).toContainText("webapp-one");

  await check(page, "default", "webapp-one", "kv/data/webapps/app_two");
  await expect(page.getByTestId("check-verdict")).toHaveText("No: see the step that failed.");
  const failed = page.locator('[data-testid="check-step"][data-outcome="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText("Capability on the path");
  await expect(failed).toContainText("deny");
  await expect(failed.getByTestId("check-fix")).toContainText("None of the token's policies");
  await expect(failed.getByTestId("check-fix")).toContainText("kv/data/webapps/app_one");
  await screenshot(page, "kubernetes-pod-check");

  // Another service account: the role's bindings stop it, and the fix says which.
  await check(page, "web", "frontend", "kv/data/webapps/app_one");
  await expect(failed).toContainText("Role match");
  await expect(failed.getByTestId("check-fix")).toContainText("bound service account names");

  // Every test token was revoked: none is left behind in Vault.
  const accessors = await vault(lab.addr, lab.rootToken, "GET", "auth/token/accessors?list=true");
  for (const accessor of accessors.body.data.keys) {
    const token = await vaultOk(lab.addr, lab.rootToken, "POST", "auth/token/lookup-accessor", { accessor });
    expect(token.data.path).not.toContain("auth/kubernetes/login");
  }
});

test("by default a role without an audience is not checked, and the page says why", async ({ page }) => {
  const strict = await startVaultdeck({ vaultAddr: lab.addr, env: { KUBECONFIG: cluster.kubeconfig } });
  try {
    await logInWithToken(page, strict.url, lab.rootToken);
    await page.goto(`${strict.url}access/auth/kubernetes/k8s/roles`);
    await page.locator('[data-testid="role-row"][data-role="webapp-one"] a').click();
    await check(page, "default", "webapp-one", "kv/data/webapps/app_one");
    await expect(page.getByTestId("check-verdict")).toHaveText("No: see the step that failed.");
    const failed = page.locator('[data-testid="check-step"][data-outcome="failed"]');
    await expect(failed).toHaveCount(1);
    await expect(failed).toContainText("the role has no audience");
    await expect(failed).toContainText("--test-logins-without-audience");
  } finally {
    await strict.stop();
  }
});
