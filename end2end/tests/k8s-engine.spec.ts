// The course's lesson "Kubernetes Secrets Engine", in the browser, against a real Vault
// (OpenBao or labvault) and a real kube-apiserver: enable the engine, configure it with
// "Use this cluster" and the RBAC YAML the page shows (applied as kubectl would), role
// webapp-one for the existing service account webapp-one in default, generate credentials,
// read their claims, ask the cluster what the token may do, revoke the lease. Then a role
// with generated rules, whose service account, Role and binding Vault creates and deletes.

import { parseAllDocuments } from "yaml";
import { expect, Page, test } from "./support/fixtures";
import { Cluster, kube, startCluster } from "./support/cluster";
import { TestVault, startVault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck } from "./support/servers";
import { logInWithToken, screenshot } from "./support/ui";

let cluster: Cluster;
let lab: TestVault;
let deck: Vaultdeck;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // The controller manager fills the engine's long-lived token Secret.
  cluster = await startCluster({ controllerManager: true });
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr, env: { KUBECONFIG: cluster.kubeconfig } });
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
  await cluster?.stop();
});

/** Where the API server takes each kind the configuration page's YAML holds. */
function collectionOf(kind: string, namespace?: string): string {
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  switch (kind) {
    case "Namespace": return "/api/v1/namespaces";
    case "ServiceAccount": return `/api/v1/namespaces/${namespace}/serviceaccounts`;
    case "Secret": return `/api/v1/namespaces/${namespace}/secrets`;
    case "ClusterRole": return `${rbac}/clusterroles`;
    case "ClusterRoleBinding": return `${rbac}/clusterrolebindings`;
    default: throw new Error(`the page's YAML has a kind this test cannot apply: ${kind}`);
  }
}

/** `kubectl apply -f` of the YAML, as the operator would. */
async function apply(yamlText: string): Promise<void> {
  for (const document of parseAllDocuments(yamlText)) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length) throw new Error(`the page's YAML does not read cleanly: ${problems.join("; ")}\n${yamlText}`);
    const object = document.toJS();
    const answer = await kube(cluster, "POST", collectionOf(object.kind, object.metadata.namespace), object);
    if (answer.status >= 300 && answer.status !== 409) {
      throw new Error(`${object.kind} ${object.metadata.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
}

/** The token the controller manager puts in a service-account-token Secret. */
async function tokenOf(namespace: string, secret: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const answer = await kube(cluster, "GET", `/api/v1/namespaces/${namespace}/secrets/${secret}`);
    const token = answer.body?.data?.token;
    if (token) return Buffer.from(token, "base64").toString();
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Secret ${namespace}/${secret} never got its token`);
}

async function generate(page: Page, mountRole: string) {
  await page.goto(`${deck.url}secrets/kubernetes/k8s/role/${mountRole}/creds`);
  await expect(page.getByTestId("creds-namespace")).toHaveValue("default");
  await page.getByTestId("creds-generate").click();
  await expect(page.getByTestId("issued-creds")).toBeVisible();
}

test("the lesson: enable, configure with “Use this cluster”, a role, credentials, revoke", async ({ page }) => {
  test.setTimeout(120_000);
  await logInWithToken(page, deck.url, lab.rootToken);

  await test.step("enable the engine from the catalog", async () => {
    await page.goto(`${deck.url}secrets/enable`);
    await page.getByTestId("type-kubernetes").check();
    await expect(page.getByTestId("mount-path")).toHaveValue("kubernetes");
    await page.getByTestId("enable-submit").click();
    const row = page.locator('[data-testid="mount-row"][data-path="kubernetes"]');
    await expect(row).toContainText("kubernetes");
    await row.getByRole("link", { name: "kubernetes/" }).click();
    await expect(page).toHaveURL(`${deck.url}secrets/kubernetes/k8s/roles`);
    await expect(page.getByTestId("no-engine-roles")).toBeVisible();
  });

  await test.step("configure it for this cluster, with the RBAC the page shows", async () => {
    await page.getByTestId("engine-nav").getByRole("link", { name: "Configuration" }).click();
    await expect(page.getByTestId("engine-unconfigured")).toBeVisible();
    await expect(page.getByTestId("cluster-status")).toContainText("Connected to Kubernetes v1.20.2");
    // This deployment does not set service accounts up: the YAML is the way.
    await expect(page.getByTestId("set-up")).toHaveCount(0);
    await page.getByTestId("use-this-cluster").click();
    await expect(page.getByTestId("engine-host")).toHaveValue(cluster.apiUrl);
    await expect(page.getByTestId("engine-ca")).toHaveValue(/BEGIN CERTIFICATE/);

    // The YAML for roles with generated rules (the most the engine needs), applied as is.
    await page.getByTestId("engine-rbac-mode").selectOption("rules");
    await apply(await page.getByTestId("engine-rbac-yaml").innerText());
    const jwt = await tokenOf("vault", "vault-token");

    // A bad host is refused with a message, and nothing typed is lost.
    await page.getByTestId("engine-host").fill("10.0.0.1");
    await page.getByTestId("engine-jwt").fill(jwt);
    await expect(page.getByTestId("engine-jwt-claims")).toContainText("system:serviceaccount:vault:vault");
    await page.getByTestId("engine-config-save").click();
    await expect(page.getByTestId("engine-config-invalid")).toContainText("https://");
    await expect(page.getByTestId("engine-jwt")).toHaveValue(jwt);

    await page.getByTestId("use-this-cluster").click();
    await page.getByTestId("engine-config-save").click();
    await expect(page.getByText("Configuration saved.")).toBeVisible();
    await expect(page.getByTestId("engine-unconfigured")).toHaveCount(0);
    await expect(page.getByTestId("engine-jwt")).toHaveValue("");
    await expect(page.getByTestId("engine-host")).toHaveValue(cluster.apiUrl);
  });

  await test.step("role webapp-one for the service account webapp-one in default", async () => {
    await page.getByTestId("engine-nav").getByRole("link", { name: "Roles" }).click();
    await page.getByTestId("new-engine-role").click();
    await page.getByTestId("engine-role-name").fill("webapp-one");
    await expect(page.getByTestId("engine-mode-account")).toBeChecked();
    await page.getByTestId("engine-role-account").fill("webapp-one");
    await page.getByTestId("engine-role-namespaces").fill("default");
    await page.getByTestId("engine-role-namespaces").press("Enter");
    // The account does not exist yet: the page says so and creates it.
    await expect(page.getByTestId("missing-account")).toContainText("webapp-one does not exist in namespace default");
    await page.getByTestId("create-account").click();
    await expect(page.getByTestId("missing-account")).toHaveCount(0);
    await page.getByTestId("engine-role-save").click();
    await expect(page).toHaveURL(`${deck.url}secrets/kubernetes/k8s/role/webapp-one`);
    await expect(page.getByRole("heading", { name: "Kubernetes secrets engine role webapp-one" })).toBeVisible();
    await expect(page.getByTestId("engine-role-account")).toHaveValue("webapp-one");
  });

  await test.step("generate credentials: the token once, its claims, its lease", async () => {
    await page.getByTestId("generate-creds-link").click();
    await expect(page.getByTestId("creds-namespace")).toHaveValue("default");
    await page.getByTestId("creds-namespace").fill("kube-system");
    await page.getByTestId("creds-generate").click();
    // Vault's own refusal, with the form kept.
    await expect(page.getByTestId("error-message")).toContainText("kube-system");
    await expect(page.getByTestId("creds-namespace")).toHaveValue("kube-system");
    await page.getByTestId("creds-namespace").fill("default");
    await page.getByTestId("creds-generate").click();
    await expect(page.getByTestId("creds-account")).toHaveText("webapp-one");
    await expect(page.getByTestId("creds-claims")).toContainText("system:serviceaccount:default:webapp-one");
    await expect(page.getByTestId("creds-lease-id")).toContainText("kubernetes/creds/webapp-one/");
    await expect(page.getByTestId("creds-lease-left")).toHaveText(/\d+m \d\ds|\d+h \d\dm/);
    await expect(page.getByTestId("creds-token")).not.toContainText("eyJ");
    await page.getByTestId("creds-reveal").click();
    await expect(page.getByTestId("creds-token")).toContainText("eyJ");
    await page.getByTestId("creds-reveal").click();
    await expect(page.getByTestId("creds-token")).not.toContainText("eyJ");
    // The token is the cluster's: it authenticates as webapp-one, which may not list pods.
    await expect(page.getByTestId("abilities-rules")).toContainText("selfsubjectaccessreviews");
    await page.getByTestId("abilities-ask").click();
    await expect(page.getByTestId("abilities-verdict")).toContainText("No, the cluster does not allow it");
    await screenshot(page, "k8s-engine-credentials");
  });

  await test.step("revoke the lease: an existing account keeps its token until it expires", async () => {
    await page.getByTestId("creds-revoke").click();
    await expect(page.getByTestId("creds-lease-left")).toHaveText("revoked");
    await expect(page.getByTestId("creds-revoked")).toContainText("nothing to delete");
    await expect(page.getByTestId("abilities-rules")).toContainText("selfsubjectaccessreviews");
    const account = await kube(cluster, "GET", "/api/v1/namespaces/default/serviceaccounts/webapp-one");
    expect(account.status).toBe(200);
  });
});

test("a role with generated rules: Vault creates the account, Role and binding, and deletes them", async ({ page }) => {
  test.setTimeout(120_000);
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}secrets/kubernetes/k8s/roles/new`);
  await page.getByTestId("engine-role-name").fill("pod-reader");
  await page.getByTestId("engine-mode-rules").check();
  await page.getByTestId("engine-role-namespaces").fill("default");
  await page.getByTestId("engine-role-namespaces").press("Enter");

  await test.step("broken rules are explained before Vault sees them", async () => {
    await page.getByTestId("engine-role-rules").fill("rules:\n- apiGroups: [\"\"]\n  resources: pods\n  verbs: [list]\n");
    await page.getByTestId("engine-role-save").click();
    await expect(page.getByTestId("engine-role-invalid")).toContainText("line 3");
    await expect(page.getByTestId("engine-role-name")).toHaveValue("pod-reader");
    await page.getByTestId("engine-rules-example").click();
    await page.getByTestId("engine-rules-check").click();
    await expect(page.getByTestId("engine-rules-checked")).toContainText("get, list, watch");
  });

  await test.step("saved, and its credentials may list pods in default", async () => {
    await page.getByTestId("engine-role-save").click();
    await expect(page).toHaveURL(`${deck.url}secrets/kubernetes/k8s/role/pod-reader`);
    await expect(page.getByTestId("engine-mode-rules")).toBeChecked();
    await generate(page, "pod-reader");
    const account = await page.getByTestId("creds-account").innerText();
    expect(account).toMatch(/^v-/);
    const created = await kube(cluster, "GET", `/api/v1/namespaces/default/serviceaccounts/${account}`);
    expect(created.status).toBe(200);
    await page.getByTestId("abilities-ask").click();
    await expect(page.getByTestId("abilities-verdict")).toContainText("Yes, the cluster allows it");
    await page.getByTestId("abilities-resource").fill("secrets");
    await page.getByTestId("abilities-ask").click();
    await expect(page.getByTestId("abilities-verdict")).toContainText("No, the cluster does not allow it");

    await page.getByTestId("creds-revoke").click();
    await expect(page.getByTestId("creds-revoked")).toContainText("deleted the service account");
    // The API server learns of the deletion from its own watch, a moment later: asked again,
    // it refuses the token.
    await expect(async () => {
      await page.getByTestId("abilities-ask").click();
      await expect(page.getByTestId("abilities-error")).toContainText("does not accept this token", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    const gone = await kube(cluster, "GET", `/api/v1/namespaces/default/serviceaccounts/${account}`);
    expect(gone.status).toBe(404);
  });

  await test.step("the leases page lists and revokes what is left", async () => {
    await generate(page, "pod-reader");
    const leaseId = await page.getByTestId("creds-lease-id").innerText();
    await page.getByTestId("engine-nav").getByRole("link", { name: "Leases" }).click();
    const row = page.locator(`[data-testid="lease-row"][data-lease="${leaseId}"]`);
    await expect(row).toBeVisible();
    await row.getByTestId("revoke-lease").click();
    await expect(row).toHaveCount(0);
    await expect(page.getByTestId("no-leases")).toBeVisible();
  });

  await test.step("the role is deleted behind its typed name", async () => {
    await page.goto(`${deck.url}secrets/kubernetes/k8s/role/pod-reader`);
    await page.getByTestId("delete-role").click();
    await page.getByTestId("confirm-input").fill("pod-reader");
    await page.getByTestId("confirm-action").click();
    await expect(page).toHaveURL(`${deck.url}secrets/kubernetes/k8s/roles`);
    await expect(page.locator('[data-testid="engine-role-row"][data-role="pod-reader"]')).toHaveCount(0);
    const gone = await fetch(`${lab.addr}/v1/kubernetes/roles/pod-reader`, { headers: { "x-vault-token": lab.rootToken } });
    expect(gone.status).toBe(404);
  });
});

test("“Set it up in the cluster”, where the deployment allows it, for the auth method and the engine", async ({ page }) => {
  test.setTimeout(120_000);
  // What the chart's rbac.setUpServiceAccounts provides: the engine's ClusterRole.
  await kube(cluster, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
    metadata: { name: "vault-secrets-engine" },
    rules: [{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }],
  });
  const setUpDeck = await startVaultdeck({
    vaultAddr: lab.addr,
    env: { KUBECONFIG: cluster.kubeconfig, VAULTDECK_SET_UP_SERVICE_ACCOUNTS: "true" },
  });
  try {
    await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/k8s-setup", { type: "kubernetes" });
    await vaultOk(lab.addr, lab.rootToken, "POST", "sys/mounts/engine-setup", { type: "kubernetes" });
    await logInWithToken(page, setUpDeck.url, lab.rootToken);

    await test.step("the auth method's reviewer", async () => {
      await page.goto(`${setUpDeck.url}access/auth/k8s-setup/k8s/config`);
      await expect(page.getByTestId("reviewer-state")).toContainText("not set");
      await page.getByTestId("set-up-namespace").fill("setup-vault");
      await page.getByTestId("set-up-run").click();
      await expect(page.getByTestId("set-up-report")).toContainText("system:auth-delegator");
      await expect(page.getByTestId("reviewer-state")).toContainText("set");
      await expect(page.getByTestId("reviewer-state")).not.toContainText("not set");
      await expect(page.getByTestId("k8s-host")).toHaveValue(cluster.apiUrl);
      // The report names the binding (its name ends in a digest of role, namespace and account).
      const named = (await page.getByTestId("set-up-report").textContent())?.match(/ by (vaultdeck-[a-z0-9.-]+)\. /);
      expect(named?.[1]).toMatch(/^vaultdeck-system-auth-delegator-setup-vault-vault-reviewer-[0-9a-f]{12}$/);
      const binding = await kube(cluster, "GET", `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${named![1]}`);
      expect(binding.status).toBe(200);
    });

    await test.step("the engine's service account, then credentials", async () => {
      await page.goto(`${setUpDeck.url}secrets/engine-setup/k8s/config`);
      await expect(page.getByTestId("engine-unconfigured")).toBeVisible();
      await page.getByTestId("set-up-namespace").fill("setup-vault");
      await page.getByTestId("set-up-run").click();
      await expect(page.getByTestId("set-up-report")).toContainText("vault-secrets-engine");
      await expect(page.getByTestId("engine-unconfigured")).toHaveCount(0);
      await expect(page.getByTestId("engine-host")).toHaveValue(cluster.apiUrl);
      await vaultOk(lab.addr, lab.rootToken, "POST", "engine-setup/roles/webapp", {
        service_account_name: "webapp-one", allowed_kubernetes_namespaces: ["default"],
      });
      await page.goto(`${setUpDeck.url}secrets/engine-setup/k8s/role/webapp/creds`);
      await page.getByTestId("creds-generate").click();
      await expect(page.getByTestId("creds-account")).toHaveText("webapp-one");
    });
  } finally {
    await setUpDeck.stop();
  }
});
