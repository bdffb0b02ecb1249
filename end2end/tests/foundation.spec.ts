// The foundation: the status page in both Vault states, the base path, path prefixes
// (kubectl proxy and X-Forwarded-Prefix), the not-found page and the security headers.

import { expect, Page, test } from "./support/fixtures";
import { freePort, startVaultdeck, Vaultdeck } from "./support/servers";
import { KUBECTL_PREFIX, PrefixProxy, startPrefixProxy } from "./support/prefix-proxy";
import { displayName, TestVault, startVault } from "./support/vault";

/** Fails the test on any console error (CSP violations, failed loads, panics). */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return errors;
}

test.describe("with Vault unreachable", () => {
  let vaultdeck: Vaultdeck;
  let deadAddr: string;

  test.beforeAll(async () => {
    deadAddr = `http://127.0.0.1:${await freePort()}`;
    vaultdeck = await startVaultdeck({ vaultAddr: deadAddr });
  });
  test.afterAll(async () => vaultdeck?.stop());

  test("the status page says Vault is unreachable and names the address", async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto(vaultdeck.url);
    const alert = page.getByTestId("vault-unreachable");
    await expect(alert).toContainText("Vault unreachable");
    await expect(alert).toContainText(deadAddr);
    // The 502 of the status call is expected; nothing else may fail.
    expect(errors.filter((e) => !e.includes("502"))).toEqual([]);
  });

  test("/ui redirects to /ui/ and / to the base path", async ({ request }) => {
    const bare = await request.get(`${vaultdeck.origin}/ui`, { maxRedirects: 0 });
    expect(bare.status()).toBe(307);
    expect(bare.headers()["location"]).toBe("ui/");
    const root = await request.get(`${vaultdeck.origin}/`, { maxRedirects: 0 });
    expect(root.status()).toBe(307);
    expect(root.headers()["location"]).toBe("ui/");
  });

  test("an unknown page shows not found, answers 404, and links back", async ({ page }) => {
    const response = await page.goto(`${vaultdeck.url}no/such/page`);
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toContainText("/ui/no/such/page");
    await page.getByRole("link", { name: "Back to the start page" }).click();
    await expect(page).toHaveURL(vaultdeck.url);
    await expect(page.getByRole("heading", { name: "Vault status" })).toBeVisible();
  });

  test("pages carry a nonce-based CSP and the bundle is cached for a year", async ({ request }) => {
    const page = await request.get(vaultdeck.url);
    const csp = page.headers()["content-security-policy"];
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'nonce-[A-Za-z0-9+/=_-]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers()["cache-control"]).toBe("no-store");
    expect(page.headers()["x-content-type-options"]).toBe("nosniff");
    const html = await page.text();
    const wasm = html.match(/href="\.\/pkg\/(vaultdeck\.[0-9a-f]+\.wasm)"/);
    expect(wasm, "the page preloads a content-hashed wasm").not.toBeNull();
    const bundle = await request.get(`${vaultdeck.url}pkg/${wasm![1]}`, { headers: { "accept-encoding": "br" } });
    expect(bundle.status()).toBe(200);
    expect(bundle.headers()["cache-control"]).toContain("immutable");
    expect(bundle.headers()["content-encoding"]).toBe("br");
    expect(bundle.headers()["vary"]).toContain("accept-encoding");
  });

  test("a request body over the limit gets 413 in Vault's error shape", async ({ request }) => {
    const response = await request.post(`${vaultdeck.url}api/vault/v1/secret/big`, {
      headers: { "content-type": "application/json", "x-requested-with": "vaultdeck" },
      data: "x".repeat(9 * 1024 * 1024),
    });
    expect(response.status()).toBe(413);
    expect((await response.json()).errors[0]).toContain("too large");
  });
});

for (const mode of ["kubectl", "forwarded-prefix"] as const) {
  test.describe(`behind a path prefix (${mode})`, () => {
    let vaultdeck: Vaultdeck;
    let proxy: PrefixProxy;
    let deadAddr: string;

    test.beforeAll(async () => {
      deadAddr = `http://127.0.0.1:${await freePort()}`;
      vaultdeck = await startVaultdeck({ vaultAddr: deadAddr });
      proxy = await startPrefixProxy(vaultdeck.origin, mode);
    });
    test.afterAll(async () => {
      await proxy?.stop();
      await vaultdeck?.stop();
    });

    test("navigation, a deep link and a reload stay under the prefix", async ({ page }) => {
      const errors = watchConsole(page);
      const appUrl = `${proxy.origin}${KUBECTL_PREFIX}/ui/`;
      await page.goto(appUrl);
      // The data comes from a fetch the WASM builds: it reached the BFF through the prefix.
      await expect(page.getByTestId("vault-unreachable")).toContainText(deadAddr);

      await page.getByRole("link", { name: "Status" }).click();
      await expect(page).toHaveURL(`${appUrl}status`);
      await expect(page.getByTestId("vault-unreachable")).toContainText(deadAddr);

      await page.reload();
      await expect(page.getByTestId("vault-unreachable")).toContainText(deadAddr);

      await page.goto(`${appUrl}status`);
      await expect(page.getByRole("heading", { name: "Vault status" })).toBeVisible();
      await page.getByRole("link", { name: "Vaultdeck" }).click();
      await expect(page).toHaveURL(appUrl);
      expect(errors.filter((e) => !e.includes("502"))).toEqual([]);
    });

    test("the bare base path redirects under the prefix", async ({ page }) => {
      await page.goto(`${proxy.origin}${KUBECTL_PREFIX}/ui`);
      await expect(page).toHaveURL(`${proxy.origin}${KUBECTL_PREFIX}/ui/`);
      await expect(page.getByTestId("vault-unreachable")).toBeVisible();
    });
  });
}

test.describe("served at /", () => {
  let vaultdeck: Vaultdeck;
  test.beforeAll(async () => {
    vaultdeck = await startVaultdeck({ vaultAddr: `http://127.0.0.1:${await freePort()}`, basePath: "/" });
  });
  test.afterAll(async () => vaultdeck?.stop());

  test("the app works with an empty base path", async ({ page }) => {
    await page.goto(`${vaultdeck.origin}/status`);
    await expect(page.getByTestId("vault-unreachable")).toBeVisible();
    await page.getByRole("link", { name: "Vaultdeck" }).click();
    await expect(page).toHaveURL(`${vaultdeck.origin}/`);
  });
});

test.describe("served at /, after a login", () => {
  let lab: TestVault;
  let vaultdeck: Vaultdeck;
  test.beforeAll(async () => {
    lab = await startVault();
    vaultdeck = await startVaultdeck({ vaultAddr: lab.addr, basePath: "/" });
  });
  test.afterAll(async () => {
    await vaultdeck?.stop();
    await lab?.stop();
  });

  // A browser reads a backslash as "/": with an empty base path this return target was
  // "//example.invalid/", another site, after a real login (Chromium went there).
  test("a return target with a backslash stays on the site", async ({ page }) => {
    await page.goto(`${vaultdeck.origin}/login?return=${encodeURIComponent("/\\example.invalid/")}`);
    await expect(page.getByTestId("login-submit")).toBeEnabled();
    await page.getByTestId("login-first").fill(lab.rootToken);
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("session-user")).toBeVisible();
    expect(new URL(page.url()).origin).toBe(vaultdeck.origin);
  });
});

test.describe("with Vault reachable", () => {
  let lab: TestVault;
  let vaultdeck: Vaultdeck;
  test.beforeAll(async () => {
    lab = await startVault();
    vaultdeck = await startVaultdeck({ vaultAddr: lab.addr });
  });
  test.afterAll(async () => {
    await vaultdeck?.stop();
    await lab?.stop();
  });

  test("the status page shows Vault's seal status, refreshed", async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto(`${vaultdeck.url}status`);
    await expect(page.getByTestId("seal-state")).toHaveText("Unsealed");
    await expect(page.getByTestId("initialized")).toHaveText("yes");
    await expect(page.getByTestId("threshold")).toHaveText("1 of 1 key shares");
    await expect(page.getByTestId("progress")).toHaveText("0 of 1");
    await expect(page.getByTestId("version")).toHaveText(/^\d+\.\d+\.\d+/);
    // Sealing it from outside shows within the refresh interval, without a reload.
    const sealed = await fetch(`${lab.addr}/v1/sys/seal`, { method: "PUT", headers: { "x-vault-token": lab.rootToken } });
    expect(sealed.status).toBe(204);
    await expect(page.getByTestId("seal-state")).toHaveText("Sealed", { timeout: 10_000 });
    await expect(page.getByTestId("vault-banner")).toContainText("Vault is sealed");
    const unsealed = await fetch(`${lab.addr}/v1/sys/unseal`, { method: "PUT", body: JSON.stringify({ key: lab.unsealKey }) });
    expect(unsealed.status).toBe(200);
    await expect(page.getByTestId("seal-state")).toHaveText("Unsealed", { timeout: 10_000 });
    expect(errors).toEqual([]);
  });

  test("logging in through a kubectl proxy prefix keeps the session under that prefix", async ({ page }) => {
    const proxy = await startPrefixProxy(vaultdeck.origin, "kubectl");
    try {
      const appUrl = `${proxy.origin}${KUBECTL_PREFIX}/ui/`;
      await page.goto(`${appUrl}login`);
      await expect(page.getByTestId("login-submit")).toBeEnabled();
      await page.getByTestId("login-first").fill(lab.rootToken);
      await page.getByTestId("login-submit").click();
      await expect(page.getByTestId("session-user")).toHaveText(await displayName(lab.addr, lab.rootToken));
      const cookies = await page.context().cookies();
      expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.sameSite])).toEqual([
        ["vaultdeck_session", `${KUBECTL_PREFIX}/ui`, true, "Strict"],
      ]);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Secrets", exact: true }).click();
      await expect(page).toHaveURL(`${appUrl}secrets`);
      await expect(page.locator('[data-testid="mount-row"][data-path="secret"]')).toContainText("kv v2");
      await page.reload();
      await expect(page.locator('[data-testid="mount-row"][data-path="secret"]')).toContainText("kv v2");
    } finally {
      await proxy.stop();
    }
  });
});
