// The Workloads check end to end: a real Vault (OpenBao or labvault), a real kube-apiserver
// with Deployments annotated for the Vault Agent injector, and the page reached from the
// Kubernetes overview. A KV v2 path annotated without data/ is named with its fix and fails
// the real login's read check; the correctly annotated Deployment passes.

import { expect, test } from "./support/fixtures";
import { Cluster, kubeOk as kubeAsAdmin, reviewerToken, startCluster } from "./support/cluster";
import { enableKv, startVault, TestVault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck, LAB_CHECKS } from "./support/servers";
import { logInWithToken } from "./support/ui";

let cluster: Cluster;
let lab: TestVault;
let deck: Vaultdeck;

const kubeOk = (method: string, path: string, body?: unknown) => kubeAsAdmin(cluster, method, path, body);

/** A Deployment of webapp-one whose pods read `path` through the injector. */
async function annotatedDeployment(name: string, path: string) {
  await kubeOk("POST", "/apis/apps/v1/namespaces/default/deployments", {
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name },
          annotations: {
            "vault.hashicorp.com/agent-inject": "true",
            "vault.hashicorp.com/role": "webapp-one",
            "vault.hashicorp.com/agent-inject-secret-app_one": path,
          },
        },
        spec: { serviceAccountName: "webapp-one", containers: [{ name: "app", image: "registry.example/webapp:1" }] },
      },
    },
  });
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster();
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr, env: { KUBECONFIG: cluster.kubeconfig, ...LAB_CHECKS } });
  const reviewer = await reviewerToken(cluster);
  await kubeOk("POST", "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "webapp-one" } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/kubernetes", { type: "kubernetes" });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/kubernetes/config", {
    kubernetes_host: cluster.apiUrl,
    kubernetes_ca_cert: cluster.caPem,
    token_reviewer_jwt: reviewer,
  });
  await enableKv(lab.addr, lab.rootToken, "kv", 2);
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/webapps/app_one", { data: { password: "app-one-w0rkl0ads" } });
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/webapp-one-read", { policy: 'path "kv/data/webapps/app_one" { capabilities = ["read"] }' });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/kubernetes/role/webapp-one", {
    bound_service_account_names: ["webapp-one"],
    bound_service_account_namespaces: ["default"],
    token_policies: ["webapp-one-read"],
  });
  await annotatedDeployment("webapp-one", "kv/webapps/app_one");
  await annotatedDeployment("webapp-fixed", "kv/data/webapps/app_one");
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
  await cluster?.stop();
});

test("the Workloads check finds a KV v2 path without data/ and names the fix", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}kubernetes`);
  await page.getByTestId("k8s-workloads-link").click();
  await expect(page.getByRole("heading", { name: "Workloads" })).toBeVisible();
  await expect(page.getByTestId("workloads-auth-mount")).toHaveValue("kubernetes");
  await page.getByTestId("workloads-namespace").fill("default");
  await page.getByTestId("workloads-check").click();

  const wrong = page.locator('[data-testid="workload"][data-name="webapp-one"]');
  await expect(wrong.getByTestId("workload-account")).toHaveText("webapp-one");
  await expect(wrong.getByTestId("workload-annotations")).toContainText("kv/webapps/app_one");
  await expect(wrong.getByTestId("workload-verdict")).toContainText("will not get their secrets");
  const lint = wrong.getByTestId("workload-lint");
  await expect(lint).toHaveCount(1);
  await expect(lint).toContainText("KV version 2");
  await expect(lint).toContainText("Set vault.hashicorp.com/agent-inject-secret-app_one to kv/data/webapps/app_one");
  // The real login as webapp-one agrees: the path as annotated is not readable.
  const finding = wrong.locator('[data-testid="workload-finding"][data-path="kv/webapps/app_one"]');
  await expect(finding.getByTestId("check-verdict")).toContainText("No");
  await expect(finding.locator('[data-testid="check-step"][data-outcome="failed"]')).toHaveCount(1);
  await expect(finding.getByTestId("check-fix").first()).toBeVisible();

  const fixed = page.locator('[data-testid="workload"][data-name="webapp-fixed"]');
  await expect(fixed.getByTestId("workload-verdict")).toContainText("may read every annotated secret");
  await expect(fixed.getByTestId("workload-lint")).toHaveCount(0);
  await expect(fixed.getByTestId("check-verdict")).toContainText("Yes");
});

test("the delivery page links to the Workloads of its namespace", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}kubernetes/deliver?auth=kubernetes`);
  await page.getByTestId("delivery-role").fill("webapp-one");
  await page.getByTestId("delivery-role").press("Tab");
  await expect(page.getByTestId("delivery-namespace")).toHaveValue("default");
  await page.getByTestId("delivery-workloads-link").click();
  await expect(page.getByRole("heading", { name: "Workloads" })).toBeVisible();
  await expect(page).toHaveURL(/kubernetes\/workloads\?auth=kubernetes&namespace=default/);
  await expect(page.getByTestId("workloads-namespace")).toHaveValue("default");
});

test("a workload naming more secrets than one check reads says so instead of checking", async ({ page }) => {
  const annotations: Record<string, string> = {
    "vault.hashicorp.com/agent-inject": "true",
    "vault.hashicorp.com/role": "webapp-one",
  };
  for (let n = 0; n < 65; n++) annotations[`vault.hashicorp.com/agent-inject-secret-s${n}`] = `kv/data/webapps/s${n}`;
  await kubeOk("POST", "/apis/apps/v1/namespaces/default/deployments", {
    metadata: { name: "webapp-many" },
    spec: {
      selector: { matchLabels: { app: "webapp-many" } },
      template: {
        metadata: { labels: { app: "webapp-many" }, annotations },
        spec: { serviceAccountName: "webapp-one", containers: [{ name: "app", image: "registry.example/webapp:1" }] },
      },
    },
  });
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}kubernetes/workloads?auth=kubernetes&namespace=default`);
  await page.getByTestId("workloads-check").click();
  const many = page.locator('[data-testid="workload"][data-name="webapp-many"]');
  await expect(many.getByTestId("workload-too-many")).toContainText("names 65 secrets");
  await expect(many.getByTestId("workload-finding")).toHaveCount(0);
  // The others are checked as before.
  const fixed = page.locator('[data-testid="workload"][data-name="webapp-fixed"]');
  await expect(fixed.getByTestId("check-verdict")).toContainText("Yes");
});
