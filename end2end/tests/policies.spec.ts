// ACL policies in the browser: the lab's four read policies from a template, the KV v2
// path warning and its fix, a syntax error at its line blocking the save, the tester, and
// Vault enforcing exactly what the tester says; then delete with references, download
// and upload.

import { expect, Page, test } from "./support/fixtures";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createToken, createUser, displayName, enableKv, startVault, TestVault, vault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck } from "./support/servers";
import { logInWithToken } from "./support/ui";

let lab: TestVault;
let deck: Vaultdeck;

const LAB_POLICIES = [
  ["webapp-one-read", "webapps/app_one"],
  ["webapp-two-read", "webapps/app_two"],
  ["backendapp-one-read", "backendapps/app_one"],
  ["backendapp-two-read", "backendapps/app_two"],
];

test.beforeAll(async () => {
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr });
  await enableKv(lab.addr, lab.rootToken, "kv", 2);
  for (const app of ["webapps/app_one", "webapps/app_two"]) {
    await vaultOk(lab.addr, lab.rootToken, "POST", `kv/data/${app}`, { data: { password: `${app}-secret` } });
  }
  // Every test finds the lab's policies in place (Playwright restarts the worker, and so
  // this set-up, after a failure); the first test writes them again through the UI.
  for (const [name, path] of LAB_POLICIES) {
    await vaultOk(lab.addr, lab.rootToken, "PUT", `sys/policies/acl/${name}`, {
      policy: `path "kv/data/${path}" { capabilities = ["read"] }`,
    });
  }
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
});

async function logIn(page: Page) {
  await logInWithToken(page, deck.url, lab.rootToken);
  await expect(page.getByTestId("session-user")).toHaveText(await displayName(lab.addr, lab.rootToken));
}

/** Replaces the editor's text as a person would: select all, type. */
async function typePolicy(page: Page, text: string) {
  const editor = page.getByTestId("policy-text");
  await editor.click();
  await editor.press("Control+a");
  await editor.fill(text);
}

test("the lab's four policies, from the read-one-secret template", async ({ page }) => {
  for (const [name] of LAB_POLICIES) {
    await vaultOk(lab.addr, lab.rootToken, "DELETE", `sys/policies/acl/${name}`);
  }
  await logIn(page);
  for (const [name, path] of LAB_POLICIES) {
    await page.goto(`${deck.url}access/policies/create`);
    await page.getByTestId("policy-name").fill(name);
    await page.getByTestId("template").selectOption("read-secret");
    // The field's default arrives with the mount list; typing before it could land beside it.
    await expect(page.getByTestId("template-mount")).not.toHaveValue("");
    await page.getByTestId("template-mount").fill("kv");
    await page.getByTestId("template-path").fill(path);
    await page.getByTestId("use-template").click();
    await expect(page.getByTestId("policy-text")).toHaveValue(new RegExp(`path "kv/data/${path}"`));
    await expect(page.getByTestId("diagnostic")).toHaveCount(0);
    await page.getByTestId("save-policy").click();
    await expect(page).toHaveURL(`${deck.url}access/policies/${name}`);
    await expect(page.getByTestId("toasts")).toContainText(`Saved the policy “${name}”`);
  }
  await page.goto(`${deck.url}access/policies`);
  for (const [name] of LAB_POLICIES) {
    await expect(page.locator(`[data-testid="policy-row"][data-name="${name}"]`)).toBeVisible();
  }
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "sys/policies/acl/webapp-one-read");
  expect(stored.data.policy).toContain('path "kv/data/webapps/app_one"');
});

test("a template refuses a mount name that would add rules of its own, and keeps the text", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/create`);
  await page.getByTestId("template").selectOption("read-secret");
  await expect(page.getByTestId("template-mount")).not.toHaveValue("");
  await page.getByTestId("template-mount").fill("kv");
  await page.getByTestId("template-path").fill("webapps/app_one");
  await page.getByTestId("use-template").click();
  const written = 'path "kv/data/webapps/app_one"';
  await expect(page.getByTestId("policy-text")).toHaveValue(new RegExp(written));
  // A mount is named by whoever may enable one; this name would close the string and grant
  // sudo on sys/* further along the same line.
  await page.getByTestId("template-mount").fill('kv/data/x" {capabilities=["read"]} path "sys/*" {capabilities=["sudo"]} path "kv');
  await page.getByTestId("use-template").click();
  await expect(page.getByTestId("toasts")).toContainText("has a character a template does not write");
  await expect(page.getByTestId("policy-text")).toHaveValue(new RegExp(written));
  await expect(page.getByTestId("policy-text")).not.toHaveValue(/sys/);
});

test("a KV v2 path without data/ is flagged, and the fix works", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/create`);
  await page.getByTestId("policy-name").fill("typo-check");
  await typePolicy(page, 'path "kv/webapps/app_one" {\n  capabilities = ["read"]\n}\n');
  const diagnostic = page.getByTestId("diagnostic");
  await expect(diagnostic).toHaveCount(1);
  await expect(diagnostic).toHaveAttribute("data-severity", "warning");
  await expect(diagnostic).toContainText("did you mean “kv/data/webapps/app_one”");
  await page.getByTestId("apply-fix").click();
  await expect(page.getByTestId("policy-text")).toHaveValue('path "kv/data/webapps/app_one" {\n  capabilities = ["read"]\n}\n');
  await expect(page.getByTestId("diagnostic")).toHaveCount(0);
});

test("a syntax error shows at its line and blocks saving; a bad capability is named", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/create`);
  await page.getByTestId("policy-name").fill("broken");
  await typePolicy(page, 'path "kv/data/a" {\n  capabilities = ["read"]\n}\n\npath "kv/data/b" {\n  capabilities = ["read"\n}\n');
  const error = page.locator('[data-testid="diagnostic"][data-severity="error"]');
  await expect(error).toHaveCount(1);
  await expect(error).toHaveAttribute("data-line", "7");
  await expect(page.getByTestId("save-policy")).toBeDisabled();
  await expect(page.getByTestId("save-blocked")).toBeVisible();
  await typePolicy(page, 'path "kv/data/a" {\n  capabilities = ["reed"]\n}\n');
  await expect(error).toHaveAttribute("data-line", "2");
  await expect(error).toContainText("“reed” is not a capability: did you mean “read”?");
  await page.getByTestId("apply-fix").click();
  await expect(page.getByTestId("diagnostic")).toHaveCount(0);
  await expect(page.getByTestId("save-policy")).toBeEnabled();
});

test("wildcards are explained on hover", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/create`);
  await typePolicy(page, 'path "kv/data/+/config*" {\n  capabilities = ["read"]\n}\n');
  const wildcards = page.getByTestId("wildcard");
  await expect(wildcards).toHaveCount(2);
  await expect(wildcards.first()).toHaveAttribute("title", /exactly one path segment/);
  await expect(wildcards.last()).toHaveAttribute("title", /anything from here on/);
});

test("the tester and Vault agree: webapp-one-read reads app_one, not app_two", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/tester`);
  await page.getByTestId("tester-policy-webapp-one-read").check();
  await page.getByTestId("tester-paths").fill("kv/data/webapps/app_one\nkv/data/webapps/app_two");
  const row = (path: string) => page.locator(`[data-testid="tester-row"][data-path="${path}"]`).getByTestId("tester-capabilities");
  await expect(row("kv/data/webapps/app_one")).toHaveText("read");
  await expect(row("kv/data/webapps/app_two")).toHaveText("deny");

  // Vault enforces the same, for a real token holding the policy.
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["webapp-one-read"] });
  expect((await vault(lab.addr, token, "GET", "kv/data/webapps/app_one")).status).toBe(200);
  expect((await vault(lab.addr, token, "GET", "kv/data/webapps/app_two")).status).toBe(403);

  // And Vault says so for that token, asked by its accessor.
  const lookup = await vaultOk(lab.addr, token, "GET", "auth/token/lookup-self");
  await page.getByTestId("confirm-accessor").fill(lookup.data.accessor);
  await page.getByTestId("confirm-by-accessor").click();
  const vaultSays = (path: string) => page.locator(`[data-testid="vault-results"] tr[data-path="${path}"]`).getByTestId("vault-capabilities");
  await expect(vaultSays("kv/data/webapps/app_one")).toHaveText("read");
  await expect(vaultSays("kv/data/webapps/app_two")).toHaveText("deny");
});

test("a draft in the tester is evaluated with the chosen policies", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/tester`);
  await page.getByTestId("tester-policy-webapp-one-read").check();
  await page.getByTestId("tester-draft").fill('path "kv/data/webapps/*" { capabilities = ["list"] }\npath "kv/data/webapps/app_one" { capabilities = ["deny"] }');
  await page.getByTestId("tester-paths").fill("kv/data/webapps/app_one\nkv/data/webapps/app_two");
  const row = (path: string) => page.locator(`[data-testid="tester-row"][data-path="${path}"]`);
  await expect(row("kv/data/webapps/app_one").getByTestId("tester-capabilities")).toHaveText("deny");
  await expect(row("kv/data/webapps/app_two").getByTestId("tester-capabilities")).toHaveText("list");
  await expect(row("kv/data/webapps/app_two")).toContainText("best-matching pattern “kv/data/webapps/*” from the draft");
});

test("deleting a policy lists who still names it, and needs its name typed", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/doomed", { policy: 'path "kv/data/x" { capabilities = ["read"] }' });
  await createUser(lab.addr, lab.rootToken, "bob", "bob-password", ["doomed"]);
  await logIn(page);
  await page.goto(`${deck.url}access/policies/doomed`);
  await page.getByTestId("delete-policy").click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("userpass user “bob” (auth/userpass/)");
  await expect(page.getByTestId("confirm-action")).toBeDisabled();
  await page.getByTestId("confirm-input").fill("doomed");
  await page.getByTestId("confirm-action").click();
  await expect(page).toHaveURL(`${deck.url}access/policies`);
  await expect(page.locator('[data-testid="policy-row"][data-name="doomed"]')).toHaveCount(0);
  expect((await vault(lab.addr, lab.rootToken, "GET", "sys/policies/acl/doomed")).status).toBe(404);
});

test("root is read-only, default warns, and policies download and upload as .hcl", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}access/policies/root`);
  await expect(page.getByTestId("root-policy")).toBeVisible();
  await expect(page.getByTestId("save-policy")).toHaveCount(0);
  await page.goto(`${deck.url}access/policies/default`);
  await expect(page.getByTestId("default-warning")).toBeVisible();
  await expect(page.getByTestId("delete-policy")).toHaveCount(0);

  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/portable", { policy: 'path "kv/data/webapps/app_one" { capabilities = ["read"] }' });
  await page.goto(`${deck.url}access/policies/portable`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-policy").click()]);
  expect(download.suggestedFilename()).toBe("portable.hcl");
  expect(readFileSync((await download.path())!, "utf8")).toContain('path "kv/data/webapps/app_one"');

  const file = join(tmpdir(), `uploaded-${Date.now()}.hcl`);
  writeFileSync(file, 'path "kv/data/webapps/*" {\n  capabilities = ["read", "list"]\n}\n');
  await page.getByTestId("upload-policy").setInputFiles(file);
  await expect(page.getByTestId("policy-text")).toHaveValue(/kv\/data\/webapps\/\*/);
  await page.getByTestId("save-policy").click();
  await expect(page.getByTestId("toasts")).toContainText("Saved the policy “portable”");
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "sys/policies/acl/portable");
  expect(stored.data.policy).toContain("kv/data/webapps/*");
});

test("Vault's own refusal is shown and the form keeps its values", async ({ page }) => {
  // May create policies but not change them: overwriting an existing one is Vault's to refuse.
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/policy-creator", {
    policy: 'path "sys/policies/acl/*" { capabilities = ["create", "read", "list"] }',
  });
  const creator = await createToken(lab.addr, lab.rootToken, { policies: ["policy-creator"] });
  await logInWithToken(page, deck.url, creator);
  await page.goto(`${deck.url}access/policies/create`);
  await page.getByTestId("policy-name").fill("webapp-one-read");
  await typePolicy(page, 'path "kv/data/x" { capabilities = ["read"] }');
  await page.getByTestId("save-policy").click();
  await expect(page.getByTestId("error-message")).toHaveText("permission denied");
  await expect(page.getByTestId("policy-name")).toHaveValue("webapp-one-read");
  await expect(page.getByTestId("policy-text")).toHaveValue('path "kv/data/x" { capabilities = ["read"] }');
  await expect(page).toHaveURL(`${deck.url}access/policies/create`);
});
