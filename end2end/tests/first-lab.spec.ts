// The first lab of every "Vault on Kubernetes" course, in the browser: a fresh Vault is
// initialized, unsealed, logged in to, given its engines and auth methods, and sealed.
// Set VAULTDECK_SCREENSHOTS_DIR to also write the README's screenshots.

import { expect, Page, test } from "./support/fixtures";
import { readFileSync } from "node:fs";
import { createUser, displayName, startDeckOnFreshVault, startVault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck } from "./support/servers";
import { screenshot } from "./support/ui";

function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

test.describe("a fresh Vault", () => {
  let deck: Vaultdeck;
  let stop: () => Promise<void>;
  test.beforeAll(async () => {
    // A Vault never initialized: OpenBao on raft, or Vaultdeck's embedded labvault.
    ({ deck, stop } = await startDeckOnFreshVault());
  });
  test.afterAll(async () => stop?.());

  test("initialize, unseal, log in, enable engines and auth methods, tune, disable, seal", async ({ page }) => {
    test.setTimeout(120_000);
    let hexKeys: string[] = [];
    let rootToken = "";

    await test.step("an uninitialized Vault leads to the init form", async () => {
      await page.goto(deck.url);
      await expect(page).toHaveURL(`${deck.url}init`);
      await expect(page.getByTestId("vault-banner")).toContainText("not initialized");
      await expect(page.getByTestId("init-shares")).toHaveValue("5");
      await expect(page.getByTestId("init-threshold")).toHaveValue("3");
      await page.getByTestId("init-threshold").fill("1");
      await expect(page.getByTestId("init-invalid")).toContainText("at least 2");
      await expect(page.getByTestId("init-submit")).toBeDisabled();
      await page.getByTestId("init-threshold").fill("3");
      await screenshot(page, "init");
      await page.getByTestId("init-submit").click();
    });

    await test.step("the keys and root token are shown once, and download as the CLI prints them", async () => {
      await expect(page.getByTestId("key-share")).toHaveCount(5);
      // Initialized now: the banner says sealed at once, not "not initialized".
      await expect(page.getByTestId("vault-banner")).toContainText("sealed", { timeout: 2_000 });
      await expect(page.getByTestId("vault-banner")).not.toContainText("not initialized");
      hexKeys = await page.getByTestId("key-hex").allTextContents();
      rootToken = (await page.getByTestId("root-token").textContent()) ?? "";
      expect(rootToken).toMatch(/^(hvs|s)\./);
      await expect(page.getByTestId("continue-to-unseal")).toBeDisabled();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-keys").click()]);
      const file = JSON.parse(readFileSync((await download.path())!, "utf8"));
      expect(file.unseal_keys_hex).toEqual(hexKeys);
      expect(file.unseal_keys_b64).toHaveLength(5);
      expect(file.unseal_shares).toBe(5);
      expect(file.unseal_threshold).toBe(3);
      expect(file.root_token).toBe(rootToken);
      await screenshot(page, "init-keys");
      await page.getByTestId("keys-saved").check();
      await page.getByTestId("continue-to-unseal").click();
      await expect(page).toHaveURL(`${deck.url}unseal`);
      await expect(page.getByTestId("unseal-progress")).toHaveText("0/3", { timeout: 2_000 });
      await expect(page.locator("main")).not.toContainText("not initialized");
    });

    await test.step("unseal: progress, a repeated share, reset, a wrong share", async () => {
      const progress = page.getByTestId("unseal-progress");
      await expect(progress).toHaveText("0/3");
      // Shown as text ("Show"), a share would otherwise go to a cloud spell checker.
      await expect(page.getByTestId("unseal-key")).toHaveAttribute("spellcheck", "false");
      await page.getByTestId("unseal-key").fill(hexKeys[0]);
      await page.getByTestId("unseal-submit").click();
      await expect(progress).toHaveText("1/3");
      await expect(page.getByTestId("unseal-nonce")).not.toBeEmpty();
      await page.getByTestId("unseal-key").fill(hexKeys[0]);
      await page.getByTestId("unseal-submit").click();
      await expect(page.getByTestId("unseal-notice")).toContainText("already entered");
      await expect(progress).toHaveText("1/3");
      await page.getByTestId("unseal-key").fill(hexKeys[1]);
      await page.getByTestId("unseal-submit").click();
      await expect(progress).toHaveText("2/3");
      await screenshot(page, "unseal");
      await page.getByTestId("unseal-reset").click();
      await expect(progress).toHaveText("0/3");
      // Two right shares and one from nowhere: found wrong at the threshold. A share's last
      // byte is its x coordinate, random per share: the stranger must not repeat one, or
      // Vault's answer is "duplicate part detected" instead.
      const usedX = [hexKeys[0], hexKeys[1]].map((k) => k.slice(-2));
      const strangerX = ["01", "02", "03"].find((x) => !usedX.includes(x));
      for (const key of [hexKeys[0], hexKeys[1], "ab".repeat(32) + strangerX]) {
        await page.getByTestId("unseal-key").fill(key);
        await page.getByTestId("unseal-submit").click();
      }
      await expect(page.getByTestId("error-message")).toContainText("message authentication failed");
      await expect(progress).toHaveText("0/3");
    });

    await test.step("three different shares unseal it, and login follows", async () => {
      for (const key of [hexKeys[4], hexKeys[2], hexKeys[0]]) {
        await page.getByTestId("unseal-key").fill(key);
        await page.getByTestId("unseal-submit").click();
      }
      await expect(page).toHaveURL(`${deck.url}login`);
      await expect(page.getByTestId("vault-banner")).toHaveCount(0);
      await expect(page.getByTestId("login-submit")).toBeEnabled();
      await page.getByTestId("login-first").fill(rootToken);
      await page.getByTestId("login-submit").click();
      await expect(page.getByTestId("session-user")).toHaveText("root");
    });

    await test.step("enable KV version 2 at kv", async () => {
      await nav(page, "Secrets").click();
      await page.getByTestId("enable-mount").click();
      await expect(page.getByTestId("type-kv")).toBeChecked();
      await expect(page.getByTestId("kv-version-2")).toBeChecked();
      await expect(page.getByTestId("mount-path")).toHaveValue("kv");
      await page.getByTestId("mount-description").fill("lab secrets");
      await page.getByTestId("enable-submit").click();
      await expect(page).toHaveURL(`${deck.url}secrets`);
      const row = page.locator('[data-testid="mount-row"][data-path="kv"]');
      await expect(row).toContainText("kv v2");
      await expect(row).toContainText("lab secrets");
      // As in Vault's own UI: the system backend and the identity store are not listed.
      await expect(page.locator('[data-testid="mount-row"][data-path="cubbyhole"]')).toBeVisible();
      await expect(page.locator('[data-testid="mount-row"][data-path="sys"]')).toHaveCount(0);
      await expect(page.locator('[data-testid="mount-row"][data-path="identity"]')).toHaveCount(0);
      await screenshot(page, "secrets-engines");
    });

    await test.step("enable userpass", async () => {
      await nav(page, "Auth methods").click();
      await page.getByTestId("enable-mount").click();
      await page.getByTestId("type-userpass").check();
      await expect(page.getByTestId("mount-path")).toHaveValue("userpass");
      await page.getByTestId("enable-submit").click();
      await expect(page.locator('[data-testid="mount-row"][data-path="userpass"]')).toContainText("userpass");
    });

    await test.step("enable kubernetes at the path the lab uses", async () => {
      await page.getByTestId("enable-mount").click();
      await page.getByTestId("type-kubernetes").check();
      await expect(page.getByTestId("mount-path")).toHaveValue("kubernetes");
      await page.getByTestId("enable-submit").click();
      // Vault lists it as kubernetes: its row leads to the Kubernetes configuration.
      const row = page.locator('[data-testid="mount-row"][data-path="kubernetes"]');
      await expect(row.getByTestId("k8s-config")).toBeVisible();
    });

    await test.step("a type the server does not have shows Vault's error and keeps the form", async () => {
      await page.getByTestId("enable-mount").click();
      await page.getByTestId("type-other").check();
      await page.getByTestId("type-custom").fill("nosuchplugin");
      await page.getByTestId("mount-description").fill("kept");
      await page.getByTestId("enable-submit").click();
      await expect(page.getByTestId("error-message")).toHaveText("plugin not found in the catalog: nosuchplugin");
      await expect(page.getByTestId("mount-path")).toHaveValue("nosuchplugin");
      await expect(page.getByTestId("mount-description")).toHaveValue("kept");
    });

    await test.step("tune userpass's default TTL", async () => {
      await nav(page, "Auth methods").click();
      const row = page.locator('[data-testid="mount-row"][data-path="userpass"]');
      await row.getByRole("link", { name: "Configure" }).click();
      await expect(page).toHaveURL(`${deck.url}access/auth/userpass/configuration`);
      await page.getByTestId("tune-default-ttl").fill("90x");
      await page.getByTestId("tune-submit").click();
      await expect(page.getByRole("alert").filter({ hasText: "not a duration" }).first()).toBeVisible();
      await page.getByTestId("tune-default-ttl").fill("1h");
      await page.getByTestId("tune-submit").click();
      await expect(page.getByTestId("toasts")).toContainText("Settings saved.");
      await page.reload();
      await expect(page.getByTestId("tune-default-ttl")).toHaveValue("1h");
      await expect(page.getByTestId("shell-trail")).toContainText("userpass/ configuration");
      await page.getByTestId("shell-trail").getByRole("link", { name: "Auth methods" }).click();
      await expect(page).toHaveURL(`${deck.url}access/auth`);
      await expect(row).toContainText("1h");
    });

    await test.step("disable userpass after typing its path", async () => {
      const row = page.locator('[data-testid="mount-row"][data-path="userpass"]');
      await row.getByTestId("disable-mount").click();
      await expect(page.getByRole("dialog")).toContainText("revokes every token it issued");
      await page.getByTestId("confirm-input").fill("userpas");
      await expect(page.getByTestId("confirm-action")).toBeDisabled();
      await page.getByTestId("confirm-input").fill("userpass");
      await page.getByTestId("confirm-action").click();
      await expect(row).toHaveCount(0);
      await expect(page.getByTestId("toasts")).toContainText("Disabled the auth method at userpass/");
    });

    await test.step("seal from the status page, and the banner says so", async () => {
      await nav(page, "Status").click();
      await page.getByTestId("seal-button").click();
      await page.getByTestId("seal-confirm").click();
      await expect(page.getByTestId("vault-banner")).toContainText("Vault is sealed");
      await expect(page.getByTestId("seal-state")).toHaveText("Sealed");
    });
  });
});

test.describe("a user with a narrow policy", () => {
  test("sees the lists but none of the actions the policy does not allow", async ({ browser }) => {
    const lab = await startVault();
    const deck = await startVaultdeck({ vaultAddr: lab.addr });
    try {
      await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/mounts-reader", {
        policy: 'path "sys/mounts" { capabilities = ["read"] }\npath "sys/auth" { capabilities = ["read"] }',
      });
      await createUser(lab.addr, lab.rootToken, "reader", "reader-password", ["mounts-reader"]);
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${deck.url}login`);
      await expect(page.getByTestId("login-submit")).toBeEnabled();
      await page.getByTestId("login-tab-userpass").click();
      await page.getByTestId("login-first").fill("reader");
      await page.getByTestId("login-second").fill("reader-password");
      await page.getByTestId("login-submit").click();
      await expect(page.getByTestId("session-user")).toHaveText("userpass-reader");

      await page.goto(`${deck.url}secrets`);
      await expect(page.locator('[data-testid="mount-row"][data-path="secret"]')).toBeVisible();
      await expect(page.locator('main[data-permissions="loaded"]')).toBeVisible();
      await expect(page.getByTestId("enable-mount")).toHaveCount(0);
      await expect(page.getByTestId("disable-mount")).toHaveCount(0);
      await expect(page.getByRole("link", { name: "Configure" })).toHaveCount(0);

      await page.goto(`${deck.url}access/auth`);
      await expect(page.locator('[data-testid="mount-row"][data-path="userpass"]')).toBeVisible();
      await expect(page.locator('main[data-permissions="loaded"]')).toBeVisible();
      await expect(page.getByTestId("enable-mount")).toHaveCount(0);
      await expect(page.getByTestId("disable-mount")).toHaveCount(0);

      // Reached by its address, the enable page says what is missing instead of a form.
      await page.goto(`${deck.url}access/auth/enable`);
      await expect(page.getByTestId("enable-refused")).toContainText("“update” and “sudo” on sys/auth/PATH");
      await expect(page.getByTestId("enable-submit")).toHaveCount(0);

      await page.goto(`${deck.url}status`);
      await expect(page.getByTestId("token-details")).toContainText("userpass-reader");
      await expect(page.locator('main[data-permissions="loaded"]')).toBeVisible();
      await expect(page.getByTestId("seal-button")).toHaveCount(0);

      // The same pages as root do show the actions: the test above can fail.
      const rootPage = await (await browser.newContext()).newPage();
      await rootPage.goto(`${deck.url}login`);
      await expect(rootPage.getByTestId("login-submit")).toBeEnabled();
      await rootPage.getByTestId("login-first").fill(lab.rootToken);
      await rootPage.getByTestId("login-submit").click();
      await expect(rootPage.getByTestId("session-user")).toHaveText(await displayName(lab.addr, lab.rootToken));
      await rootPage.goto(`${deck.url}secrets`);
      await expect(rootPage.getByTestId("enable-mount")).toBeVisible();
      await expect(rootPage.locator('[data-testid="mount-row"][data-path="secret"]').getByTestId("disable-mount")).toBeVisible();
    } finally {
      await deck.stop();
      await lab.stop();
    }
  });
});
