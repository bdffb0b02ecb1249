// "Deliver to a pod" end to end: a real Vault (OpenBao or labvault), Vaultdeck with the
// agent binary (`bao`), and a real kube-apiserver. From the secret kv/webapps/app_one, the
// page checks with a real login as webapp-one, writes the manifests of each method, and
// proves the agent configuration by running the agent; bad input and a failing check
// stop the generation with the reason, and nothing typed is lost.

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { expect, Page, test } from "./support/fixtures";
import { Cluster, kubeOk as kubeOkAsAdmin, reviewerToken, startCluster } from "./support/cluster";
import { enableKv, startVault, TestVault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck, LAB_CHECKS } from "./support/servers";
import { logInWithToken, screenshot } from "./support/ui";

let cluster: Cluster;
let lab: TestVault;
let deck: Vaultdeck;

const kubeOk = (method: string, path: string, body?: unknown) => kubeOkAsAdmin(cluster, method, path, body);

const PASSWORD = "app-one-password-d3l1v3r";
const USERNAME = "app_one_user";

/** The `bao` binary the OpenBao tests run (where testvault looks for it, `cargo xtask setup` installs it). */
function baoBinary(): string {
  const tools = process.env.VAULTDECK_TOOLS ?? join(homedir(), ".cache/vaultdeck/tools");
  const path = process.env.VAULTDECK_BAO ?? join(tools, "openbao/bao");
  if (!existsSync(path)) throw new Error(`no bao binary at ${path}: run \`cargo xtask setup\``);
  return path;
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster();
  lab = await startVault();
  deck = await startVaultdeck({
    vaultAddr: lab.addr,
    env: { KUBECONFIG: cluster.kubeconfig, VAULTDECK_AGENT_BINARY: baoBinary(), ...LAB_CHECKS },
  });
  const reviewer = await reviewerToken(cluster);
  await kubeOk("POST", "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "webapp-one" } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/kubernetes", { type: "kubernetes" });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/kubernetes/config", {
    kubernetes_host: cluster.apiUrl,
    kubernetes_ca_cert: cluster.caPem,
    token_reviewer_jwt: reviewer,
  });
  await enableKv(lab.addr, lab.rootToken, "kv", 2);
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/webapps/app_one", { data: { username: USERNAME, password: PASSWORD } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/webapps/app_two", { data: { password: "not-for-webapp-one" } });
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/webapp-one-read", { policy: 'path "kv/data/webapps/app_one" { capabilities = ["read"] }' });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/kubernetes/role/webapp-one", {
    bound_service_account_names: ["webapp-one"],
    bound_service_account_namespaces: ["default"],
    token_policies: ["webapp-one-read"],
  });
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
  await cluster?.stop();
});

/** From the secret's page to "Deliver to a pod", with the role webapp-one chosen. */
async function deliverAppOne(page: Page) {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}secrets/kv/show/webapps/app_one`);
  await page.getByTestId("deliver-secret").click();
  await expect(page.getByRole("heading", { name: "Deliver to a pod" })).toBeVisible();
  await expect(page.getByTestId("delivery-secret")).toHaveCount(1);
  await expect(page.getByTestId("delivery-secret")).toContainText("kv/webapps/app_one (KV v2)");
  await expect(page.getByTestId("delivery-secret-keys")).toHaveValue("password, username");
  await expect(page.getByTestId("delivery-vault-addr")).not.toHaveValue("");
  await page.getByTestId("delivery-vault-addr").fill("http://vault.vault-system.svc:8200");
  await page.getByTestId("delivery-role").fill("webapp-one");
  await page.getByTestId("delivery-role").press("Tab");
  await expect(page.getByTestId("delivery-namespace")).toHaveValue("default");
  await expect(page.getByTestId("delivery-account")).toHaveValue("webapp-one");
  await expect(page.getByTestId("delivery-workload")).toHaveValue("webapp-one");
}

async function generate(page: Page, method: string) {
  await page.getByTestId("delivery-method").selectOption(method);
  await page.getByTestId("delivery-generate").click();
  await expect(page.getByTestId("delivery-check-verdict")).toContainText("may read every secret");
}

async function texts(page: Page): Promise<string[]> {
  await expect(page.getByTestId("delivery-text").first()).toBeVisible();
  return page.getByTestId("delivery-text").allTextContents();
}

test.describe.configure({ mode: "serial" });

test("from the secret, each method's manifests, after a real login as webapp-one", async ({ page }) => {
  await deliverAppOne(page);
  // A Vault namespace goes into the manifests only; changing the form takes the files away
  // until it is checked again.
  await page.getByTestId("delivery-vault-namespace").fill("team-a");
  await generate(page, "injector");
  expect(parse((await texts(page))[0]).spec.template.metadata.annotations["vault.hashicorp.com/namespace"]).toBe("team-a");
  await page.getByTestId("delivery-vault-namespace").fill("");
  await expect(page.getByTestId("delivery-outputs")).toHaveCount(0);
  await generate(page, "injector");
  await expect(page.getByTestId("delivery-finding")).toHaveAttribute("data-path", "kv/data/webapps/app_one");

  const [patchText] = await texts(page);
  const patch = parse(patchText);
  const annotations = patch.spec.template.metadata.annotations;
  expect(annotations["vault.hashicorp.com/agent-inject"]).toBe("true");
  expect(annotations["vault.hashicorp.com/role"]).toBe("webapp-one");
  expect(annotations["vault.hashicorp.com/service"]).toBe("http://vault.vault-system.svc:8200");
  expect(annotations["vault.hashicorp.com/agent-inject-secret-app_one"]).toBe("kv/data/webapps/app_one");
  expect(annotations["vault.hashicorp.com/agent-inject-template-app_one"]).toContain(".Data.data.password");
  expect(annotations["vault.hashicorp.com/auth-path"]).toBeUndefined();
  expect(annotations["vault.hashicorp.com/namespace"]).toBeUndefined();
  expect(patch.spec.template.spec.serviceAccountName).toBe("webapp-one");
  await expect(page.getByTestId("delivery-command")).toHaveText(
    'kubectl patch deployment/webapp-one --namespace default --patch "$(cat webapp-one-vault-patch.yaml)"',
  );

  // Switching the method rewrites the files from the same checked plan.
  await page.getByTestId("delivery-method").selectOption("csi");
  const [classText, podText] = await texts(page);
  const providerClass = parse(classText);
  expect(providerClass.apiVersion).toBe("secrets-store.csi.x-k8s.io/v1");
  expect(providerClass.kind).toBe("SecretProviderClass");
  expect(providerClass.spec.provider).toBe("vault");
  expect(providerClass.spec.parameters.roleName).toBe("webapp-one");
  expect(providerClass.spec.parameters.vaultAddress).toBe("http://vault.vault-system.svc:8200");
  const objects = parse(providerClass.spec.parameters.objects);
  expect(objects).toContainEqual({ objectName: "app_one-password", secretPath: "kv/data/webapps/app_one", secretKey: "password" });
  const pod = parse(podText).spec.template.spec;
  expect(pod.serviceAccountName).toBe("webapp-one");
  expect(pod.volumes[0].csi.volumeAttributes.secretProviderClass).toBe(providerClass.metadata.name);

  await page.getByTestId("delivery-method").selectOption("eso");
  const [esoText] = await texts(page);
  const [store, external] = parseAllDocuments(esoText).map((d) => d.toJS());
  expect(store.kind).toBe("SecretStore");
  expect(store.spec.provider.vault.path).toBe("kv");
  expect(store.spec.provider.vault.version).toBe("v2");
  expect(store.spec.provider.vault.auth.kubernetes).toMatchObject({ mountPath: "kubernetes", role: "webapp-one", serviceAccountRef: { name: "webapp-one" } });
  expect(external.kind).toBe("ExternalSecret");
  expect(external.spec.data).toContainEqual({ secretKey: "password", remoteRef: { key: "webapps/app_one", property: "password" } });

  await page.getByTestId("delivery-method").selectOption("agent");
  const [hcl] = await texts(page);
  expect(hcl).toContain('method "kubernetes" {');
  expect(hcl).toContain('mount_path = "auth/kubernetes"');
  expect(hcl).toContain('role = "webapp-one"');
  expect(hcl).toContain('{{- with secret "kv/data/webapps/app_one" -}}');
  expect(hcl).toContain("password={{ .Data.data.password }}");
});

test("prove it: the real agent renders the secret's values", async ({ page }) => {
  test.setTimeout(90_000);
  await deliverAppOne(page);
  await generate(page, "agent");
  await page.getByTestId("delivery-prove-run").click();
  await expect(page.getByTestId("delivery-proof-verdict")).toContainText("Proven", { timeout: 60_000 });
  const rendered = page.locator('[data-testid="delivery-rendered"][data-file="app_one"]');
  await expect(rendered.getByTestId("delivery-rendered-text")).toContainText(`password=${PASSWORD}`);
  await expect(rendered.getByTestId("delivery-rendered-text")).toContainText(`username=${USERNAME}`);
  await expect(rendered.getByTestId("delivery-rendered-checks")).toHaveText("password: found, username: found");
  await screenshot(page, "delivery-proof");
  // Values are shown to the user who may read them, never written to Vaultdeck's log.
  expect(deck.output()).not.toContain(PASSWORD);
});

test("from the role's page: the role and what it binds are filled in", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}access/auth/kubernetes/k8s/role/webapp-one`);
  await expect(page.getByRole("heading", { name: "Kubernetes role webapp-one" })).toBeVisible();
  await page.getByTestId("deliver-role").click();
  await expect(page.getByRole("heading", { name: "Deliver to a pod" })).toBeVisible();
  await expect(page.getByTestId("delivery-auth-mount")).toHaveValue("kubernetes");
  await expect(page.getByTestId("delivery-role")).toHaveValue("webapp-one");
  await expect(page.getByTestId("delivery-namespace")).toHaveValue("default");
  await expect(page.getByTestId("delivery-account")).toHaveValue("webapp-one");
  await expect(page.getByTestId("delivery-no-secrets")).toBeVisible();
  // No secret yet: the form says so instead of writing empty manifests.
  await page.getByTestId("delivery-generate").click();
  await expect(page.getByTestId("delivery-invalid")).toContainText("Pick at least one secret");
  await page.getByTestId("delivery-new-path").fill("webapps/app_one");
  await page.getByTestId("delivery-add-secret").click();
  await expect(page.getByTestId("delivery-secret")).toContainText("kv/webapps/app_one (KV v2)");
  await generate(page, "csi");
  await expect(page.locator('[data-testid="delivery-file"]')).toHaveCount(2);
});

test("bad input, a wrong audience and a secret the role cannot read stop the generation", async ({ page }) => {
  await deliverAppOne(page);
  await page.getByTestId("delivery-namespace").fill("Not A Namespace");
  await page.getByTestId("delivery-generate").click();
  await expect(page.getByTestId("delivery-invalid")).toContainText("is not a Kubernetes name");
  await expect(page.getByTestId("delivery-outputs")).toHaveCount(0);
  await expect(page.getByTestId("delivery-namespace")).toHaveValue("Not A Namespace");
  await expect(page.getByTestId("delivery-secret-keys")).toHaveValue("password, username");

  // The role has no audience: a token for "vault" would fail its TokenReview, so nothing
  // is written and the fix is named.
  await page.getByTestId("delivery-namespace").fill("default");
  await page.getByTestId("delivery-audience").fill("vault");
  await page.getByTestId("delivery-generate").click();
  await expect(page.getByTestId("delivery-audience-fix")).toContainText("has no audience");
  await expect(page.getByTestId("delivery-outputs")).toHaveCount(0);
  await page.getByTestId("delivery-audience").fill("");

  // The role's policy reads app_one only: app_two fails the check, with the fix, and no
  // manifest is written.
  await page.getByTestId("delivery-namespace").fill("default");
  await page.getByTestId("delivery-new-path").fill("webapps/app_two");
  await page.getByTestId("delivery-add-secret").click();
  await expect(page.getByTestId("delivery-secret")).toHaveCount(2);
  await page.getByTestId("delivery-generate").click();
  await expect(page.getByTestId("delivery-check-verdict")).toContainText("the check failed");
  const denied = page.locator('[data-testid="delivery-finding"][data-path="kv/data/webapps/app_two"]');
  await expect(denied.locator('[data-testid="check-step"][data-outcome="failed"]')).toHaveCount(1);
  await expect(denied.getByTestId("check-fix")).toBeVisible();
  await expect(page.getByTestId("delivery-outputs")).toHaveCount(0);
  await expect(page.getByTestId("delivery-secret")).toHaveCount(2);
});
