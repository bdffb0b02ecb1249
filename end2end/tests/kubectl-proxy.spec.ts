// The real way in for many operators: `kubectl proxy` and the API server's service proxy
// in front of Vaultdeck, with Chromium's own Accept-Encoding (Brotli included). The
// simulated prefix proxy of foundation.spec.ts cannot catch what the API server's proxy
// does to pages (it rewrites links in HTML), so this walk goes through the real one.

import { expect, test } from "./support/fixtures";
import { Cluster, startCluster } from "./support/cluster";
import { ProxiedDeck, startBehindKubectlProxy } from "./support/kubectl-proxy";

let cluster: Cluster;
let deck: ProxiedDeck;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster();
  deck = await startBehindKubectlProxy(cluster);
  deck.vaultCall("POST", "sys/mounts/kv", { type: "kv", options: { version: "2" } });
  // A new KV v2 mount on OpenBao refuses requests until its background upgrade step is done
  // (see enableKv in support/vault.ts); its config answers once it is.
  for (let tries = 0; !deck.vaultCall("GET", "kv/config")?.data; tries++) {
    if (tries === 200) throw new Error("the KV v2 mount was not ready within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  deck.vaultCall("POST", "kv/data/webapps/app_one", { data: { password: "through-the-proxy" } });
  deck.vaultCall("POST", "sys/auth/kubernetes", { type: "kubernetes" });
});
test.afterAll(async () => {
  await deck?.stop();
  await cluster?.stop();
});

test("login, KV, policies and the Kubernetes pages through a real kubectl proxy", async ({ page }) => {
  const prefix = new URL(deck.url).pathname; // …/services/vaultdeck:http/proxy/ui/
  const pages: number[] = [];
  page.on("response", (response) => {
    if (response.request().resourceType() === "document") pages.push(response.status());
  });

  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-first").fill(deck.rootToken);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("session-user")).toBeVisible();
  const cookies = await page.context().cookies();
  expect(cookies.map((c) => c.path)).toEqual([prefix.replace(/\/$/, "")]);

  const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
  await nav("Secrets").click();
  await expect(page).toHaveURL(`${deck.url}secrets`);
  await page.locator('[data-testid="mount-row"][data-path="kv"]').getByRole("link", { name: "kv/" }).click();
  await page.locator('[data-testid="kv-row"][data-key="webapps/"]').click();
  await page.locator('[data-testid="kv-row"][data-key="app_one"]').click();
  const password = page.locator('[data-testid="secret-row"][data-key="password"]');
  await password.getByTestId("reveal").click();
  await expect(password.getByTestId("secret-value")).toHaveText("through-the-proxy");
  await page.reload();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/webapps/app_one`);
  await expect(page.locator('[data-testid="secret-row"][data-key="password"]')).toBeVisible();

  await nav("Policies").click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();

  await nav("Kubernetes").click();
  await page.locator('[data-testid="k8s-mount"][data-path="kubernetes"]').getByRole("link", { name: "Configuration" }).click();
  await expect(page.getByTestId("cluster-status")).toContainText("Connected to Kubernetes v1.20.2");
  await page.getByTestId("use-this-cluster").click();
  await expect(page.getByTestId("k8s-host")).toHaveValue(/^https:\/\/kubernetes:\d+$/);

  // Every page drew; the one 303 is the login form's answer (to the page after login).
  expect(pages.filter((status) => status !== 200), `page statuses: ${pages}`).toEqual([303]);
});
