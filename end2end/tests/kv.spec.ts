// The KV browser: create, read, edit, nested folders, JSON values kept exactly, a
// check-and-set conflict between two browsers, versions and a diff, delete / undelete /
// destroy, metadata, typed paths for a narrow policy, and unsaved edits kept.

import { Browser, expect, Page, test } from "./support/fixtures";
import { createToken, createUser, enableKv, startVault, TestVault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck } from "./support/servers";
import { logInWithToken } from "./support/ui";

let lab: TestVault;
let deck: Vaultdeck;

test.beforeAll(async () => {
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr });
  await enableKv(lab.addr, lab.rootToken, "kv", 2);
  await enableKv(lab.addr, lab.rootToken, "legacy", 1);
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
});

async function logIn(page: Page, token = lab.rootToken) {
  await logInWithToken(page, deck.url, token);
}

async function fillRow(page: Page, index: number, key: string, value: string) {
  const rows = page.getByTestId("edit-row");
  while ((await rows.count()) <= index) await page.getByTestId("add-row").click();
  await rows.nth(index).getByTestId("edit-key").fill(key);
  const valueField = rows.nth(index).getByTestId("edit-value");
  // A browser's cloud spell check would send the secret's value to its vendor.
  await expect(valueField).toHaveAttribute("spellcheck", "false");
  await valueField.fill(value);
}

async function createSecret(page: Page, mount: string, path: string, pairs: [string, string][]) {
  await page.goto(`${deck.url}secrets/${mount}/create`);
  await page.getByTestId("secret-path").fill(path);
  for (const [i, [k, v]] of pairs.entries()) await fillRow(page, i, k, v);
  await page.getByTestId("save-secret").click();
  await expect(page).toHaveURL(`${deck.url}secrets/${mount}/show/${path}`);
}

test("create a secret in nested folders, read it masked, reveal a value", async ({ page }) => {
  await logIn(page);
  await createSecret(page, "kv", "teams/web/app_one", [["username", "app"], ["password", "s3cret!"]]);
  await expect(page.getByTestId("secret-version")).toContainText("Version 1");
  const password = page.locator('[data-testid="secret-row"][data-key="password"]');
  await expect(password.getByTestId("secret-value")).toHaveText("••••••••");
  await password.getByTestId("reveal").click();
  await expect(password.getByTestId("secret-value")).toHaveText("s3cret!");

  // The folders exist because the path made them; a link to the bare mount opens its top.
  await page.goto(`${deck.url}secrets/kv`);
  await expect(page.locator('[data-testid="kv-row"][data-key="teams/"]')).toBeVisible();
  await page.goto(`${deck.url}secrets/kv/list/`);
  await expect(page.locator('[data-testid="kv-row"][data-key="teams/"]')).toBeVisible();
  await page.locator('[data-testid="kv-row"][data-key="teams/"]').click();
  await page.locator('[data-testid="kv-row"][data-key="web/"]').click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/list/teams/web/`);
  await expect(page.getByTestId("breadcrumb")).toContainText("web/");
  await page.locator('[data-testid="kv-row"][data-key="app_one"]').click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/teams/web/app_one`);
});

test("JSON mode keeps numbers, booleans and nested objects; a { in a value is just text", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/create`);
  await page.getByTestId("secret-path").fill("typed/config");
  await page.getByTestId("toggle-mode").click();
  const json = '{\n  "brace": "{not json}",\n  "enabled": true,\n  "limits": {\n    "cpu": 2.5,\n    "ports": [\n      80,\n      443\n    ]\n  },\n  "port": 5432\n}';
  await page.getByTestId("secret-json-input").fill('{"port": 5432, "oops": }');
  await expect(page.getByTestId("json-error")).toContainText("Line 1");
  await page.getByTestId("secret-json-input").fill(json);
  await expect(page.getByTestId("json-error")).toHaveCount(0);
  // Back to rows and to JSON again: nothing lost.
  await page.getByTestId("toggle-mode").click();
  await expect(page.locator('[data-testid="edit-row"]')).toHaveCount(4);
  await page.getByTestId("toggle-mode").click();
  await expect(page.getByTestId("secret-json-input")).toHaveValue(json);
  await page.getByTestId("save-secret").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/typed/config`);

  // Table view by default, even though a value contains "{".
  await expect(page.getByTestId("secret-table")).toBeVisible();
  await page.getByTestId("toggle-json").click();
  await expect(page.getByTestId("secret-json")).toHaveText(json);
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "kv/data/typed/config");
  expect(stored.data.data).toEqual({ brace: "{not json}", enabled: true, limits: { cpu: 2.5, ports: [80, 443] }, port: 5432 });
});

test("two browsers editing one secret: the second sees the conflict and chooses", async ({ browser }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/shared/db", { data: { user: "app", password: "one" } });
  const open = async (b: Browser) => {
    const page = await (await b.newContext()).newPage();
    await logIn(page);
    await page.goto(`${deck.url}secrets/kv/edit/shared/db`);
    await expect(page.getByTestId("cas-base")).toContainText("version 1");
    return page;
  };
  const alice = await open(browser);
  const bob = await open(browser);
  // Rows come in key order: password, user.
  await expect(alice.getByTestId("edit-key").first()).toHaveValue("password");
  await alice.getByTestId("edit-value").first().fill("alice");
  await alice.getByTestId("save-secret").click();
  await expect(alice).toHaveURL(`${deck.url}secrets/kv/show/shared/db`);

  await fillRow(bob, 2, "port", "5432");
  await bob.getByTestId("save-secret").click();
  const conflict = bob.getByTestId("conflict");
  await expect(conflict).toContainText("Someone saved version 2 while you were editing version 1");
  await expect(conflict.locator('[data-testid="conflict-row"][data-key="password"]')).toContainText("another value");
  await expect(conflict.locator('[data-testid="conflict-row"][data-key="port"]')).toContainText("added");
  // Bob's edits are still in the form.
  await expect(bob.locator('[data-testid="edit-key"]').nth(2)).toHaveValue("port");
  await bob.getByTestId("conflict-overwrite").click();
  await expect(bob).toHaveURL(`${deck.url}secrets/kv/show/shared/db`);
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "kv/data/shared/db");
  expect(stored.data.metadata.version).toBe(3);
  expect(stored.data.data).toEqual({ user: "app", password: "one", port: "5432" });
});

test("versions: history, a diff, delete, undelete, destroy", async ({ page }) => {
  for (const data of [{ a: "1", b: "2" }, { a: "1", b: "3", c: "new" }, { a: "9" }]) {
    await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/history/app", { data });
  }
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/history/app`);
  await page.getByTestId("tab-versions").click();
  await expect(page.getByTestId("version-row")).toHaveCount(3);
  await expect(page.locator('[data-testid="version-row"][data-version="3"]').getByTestId("version-state")).toHaveText("current");

  await page.getByTestId("diff-from").selectOption("1");
  await page.getByTestId("diff-to").selectOption("2");
  await page.getByTestId("diff-compare").click();
  const row = (key: string) => page.locator(`[data-testid="diff-row"][data-key="${key}"]`);
  await expect(row("a")).toHaveAttribute("data-change", "same");
  await expect(row("b")).toHaveAttribute("data-change", "changed");
  await expect(row("c")).toHaveAttribute("data-change", "added");
  await expect(row("b")).toContainText("••••••••");
  await row("b").getByTestId("diff-reveal").click();
  await expect(row("b")).toContainText("2");
  await expect(row("b")).toContainText("3");

  await page.locator('[data-testid="version-row"][data-version="3"]').getByTestId("version-delete").click();
  await expect(page.locator('[data-testid="version-row"][data-version="3"]').getByTestId("version-state")).toContainText("deleted");
  await page.getByTestId("tab-secret").click();
  await expect(page.getByTestId("secret-deleted")).toContainText("Version 3 of this secret was deleted");
  await page.getByTestId("undelete").click();
  await expect(page.locator('[data-testid="secret-row"][data-key="a"]')).toBeVisible();

  await page.getByTestId("tab-versions").click();
  page.once("dialog", (dialog) => dialog.accept());
  await page.locator('[data-testid="version-row"][data-version="1"]').getByTestId("version-destroy").click();
  await expect(page.locator('[data-testid="version-row"][data-version="1"]').getByTestId("version-state")).toHaveText("destroyed");
  await page.goto(`${deck.url}secrets/kv/show/history/app?version=1`);
  await expect(page.getByTestId("secret-destroyed")).toBeVisible();
});

test("delete the latest version with only the delete capability, as vault kv delete does", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/rotating/app", { data: { password: "old" } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/rotating/app", { data: { password: "new" } });
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/rotating-deleter", {
    policy: 'path "kv/data/rotating/app" { capabilities = ["read", "delete"] }',
  });
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["rotating-deleter"] });
  await logIn(page, token);
  await page.goto(`${deck.url}secrets/kv/show/rotating/app`);
  await expect(page.getByTestId("secret-version")).toContainText("Version 2");
  await expect(page.locator('main[data-permissions="loaded"]')).toBeVisible();
  await expect(page.getByTestId("edit-secret")).toHaveCount(0);
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByTestId("delete-version").click();
  await expect(page.getByTestId("secret-deleted")).toBeVisible();
  const meta = await vaultOk(lab.addr, lab.rootToken, "GET", "kv/metadata/rotating/app");
  expect(meta.data.versions["2"].deletion_time).not.toBe("");
  expect(meta.data.versions["1"].deletion_time).toBe("");
});

test("metadata: max versions, check-and-set, custom metadata", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/meta/app", { data: { k: "v" } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/meta/app`);
  await page.getByTestId("tab-metadata").click();
  await page.getByTestId("meta-max-versions").fill("5");
  await page.getByTestId("meta-cas").check();
  await page.getByTestId("meta-delete-after").fill("768h");
  await page.getByTestId("meta-custom").fill("owner=team-web\nticket=OPS-1");
  await page.getByTestId("meta-save").click();
  await expect(page.getByTestId("toasts")).toContainText("Metadata saved.");
  const meta = await vaultOk(lab.addr, lab.rootToken, "GET", "kv/metadata/meta/app");
  expect(meta.data.max_versions).toBe(5);
  expect(meta.data.cas_required).toBe(true);
  expect(meta.data.delete_version_after).toBe("768h0m0s");
  expect(meta.data.custom_metadata).toEqual({ owner: "team-web", ticket: "OPS-1" });
});

test("delete a secret and all its versions after typing its path", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/doomed/app", { data: { k: "v" } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/doomed/app`);
  await page.getByTestId("tab-versions").click();
  await page.getByTestId("delete-all").click();
  await page.getByTestId("confirm-input").fill("doomed/app");
  await page.getByTestId("confirm-action").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/list/doomed/`);
  expect((await fetch(`${lab.addr}/v1/kv/metadata/doomed/app`, { headers: { "x-vault-token": lab.rootToken } })).status).toBe(404);
});

test("a key whose name spells “..” is read and deleted as named, not as the path it spells", async ({ page }) => {
  // Anyone who may write under scratch/ can name a key `scratch/%2e%2e/victim`. Put in a
  // URL raw, a browser resolves that to `victim`: the page would show, and delete, another
  // secret than the one named on it.
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/victim", { data: { victim_key: "v" } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/scratch/%252e%252e/victim", { data: { scratch_key: "s" } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/list/scratch/%252e%252e/`);
  await expect(page.getByTestId("kv-row")).toHaveCount(1);
  await expect(page.getByTestId("kv-row")).toHaveAttribute("data-key", "victim");
  await page.getByTestId("kv-row").click();
  await expect(page.locator('[data-testid="secret-row"][data-key="scratch_key"]')).toBeVisible();
  await expect(page.locator('[data-testid="secret-row"][data-key="victim_key"]')).toHaveCount(0);
  // The address bar names it as written, so a reload opens the same secret.
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/scratch/%252e%252e/victim`);
  await page.reload();
  await expect(page.locator('[data-testid="secret-row"][data-key="scratch_key"]')).toBeVisible();
  await page.getByTestId("tab-versions").click();
  await page.getByTestId("delete-all").click();
  await page.getByTestId("confirm-input").fill("scratch/%2e%2e/victim");
  await page.getByTestId("confirm-action").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/list/scratch/%252e%252e/`);
  const headers = { "x-vault-token": lab.rootToken };
  expect((await fetch(`${lab.addr}/v1/kv/metadata/scratch/%252e%252e/victim`, { headers })).status).toBe(404);
  expect((await fetch(`${lab.addr}/v1/kv/metadata/victim`, { headers })).status).toBe(200);
});

test("KV version 1 reads and writes too", async ({ page }) => {
  await logIn(page);
  await createSecret(page, "legacy", "old/app", [["token", "abc"]]);
  await expect(page.locator('[data-testid="secret-row"][data-key="token"]')).toBeVisible();
  await expect(page.getByTestId("tab-versions")).toHaveCount(0);
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "legacy/old/app");
  expect(stored.data).toEqual({ token: "abc" });

  await page.getByTestId("delete-secret").click();
  await page.getByTestId("confirm-input").fill("old/app");
  await page.getByTestId("confirm-action").click();
  await expect(page).toHaveURL(`${deck.url}secrets/legacy/list/old/`);
  expect((await fetch(`${lab.addr}/v1/legacy/old/app`, { headers: { "x-vault-token": lab.rootToken } })).status).toBe(404);
});

test("editing a nested object value writes it whole: a key removed inside it is gone", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/nested/app", { data: { user: "app", limits: { cpu: 1, memory: 2 } } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/edit/nested/app`);
  await page.getByTestId("toggle-mode").click();
  await page.getByTestId("secret-json-input").fill('{"user": "app", "limits": {"cpu": 1}}');
  await page.getByTestId("save-secret").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/nested/app`);
  const stored = await vaultOk(lab.addr, lab.rootToken, "GET", "kv/data/nested/app");
  expect(stored.data.data).toEqual({ user: "app", limits: { cpu: 1 } });
  expect(stored.data.metadata.version).toBe(2);
});

test("a policy that may read a secret but not list its folder: open it by typing its path", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/webapps/app_one", { data: { password: "one" } });
  await vaultOk(lab.addr, lab.rootToken, "PUT", "sys/policies/acl/webapp-one-read", { policy: 'path "kv/data/webapps/app_one" { capabilities = ["read"] }' });
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["webapp-one-read"] });
  await logIn(page, token);
  await page.goto(`${deck.url}secrets/kv/list/webapps/`);
  await expect(page.getByTestId("list-denied")).toBeVisible();
  await expect(page.getByTestId("error-hint")).toHaveText("Your token's policies do not allow “list” on kv/metadata/webapps/.");
  await page.getByTestId("goto-path").fill("webapps/app_one");
  await page.getByTestId("goto-path").press("Enter");
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/webapps/app_one`);
  await expect(page.locator('[data-testid="secret-row"][data-key="password"]')).toBeVisible();
  await expect(page.locator('main[data-permissions="loaded"]')).toBeVisible();
  await expect(page.getByTestId("edit-secret")).toHaveCount(0);
  await page.goto(`${deck.url}secrets/kv/show/webapps/app_two`);
  await expect(page.getByTestId("secret-denied")).toContainText("kv/data/webapps/app_two");
});

test("a secret may be named like a page: configuration, list, show", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/app/list/configuration", { data: { mode: "strict" } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/app/list/configuration`);
  await expect(page.locator('[data-testid="secret-row"][data-key="mode"]')).toBeVisible();
  await page.goto(`${deck.url}secrets/kv/list/app/list/`);
  await expect(page.locator('[data-testid="kv-row"][data-key="configuration"]')).toBeVisible();
});

test("a missing secret says so with its path", async ({ page }) => {
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/no/such/secret`);
  await expect(page.getByTestId("secret-missing")).toContainText("kv/no/such/secret");
});

test("unsaved edits are kept when a link is clicked and the user stays", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/careful/app", { data: { k: "v" } });
  await logIn(page);
  // Reached the way a person does, through the app (not by loading the editor's address).
  await page.goto(`${deck.url}secrets/kv/show/careful/app`);
  await page.getByTestId("edit-secret").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/edit/careful/app`);
  await page.getByTestId("edit-value").first().fill("changed");
  await expect(page.getByTestId("unsaved")).toBeVisible();
  page.once("dialog", (dialog) => dialog.dismiss());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status", exact: true }).click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/edit/careful/app`);
  await expect(page.getByTestId("edit-value").first()).toHaveValue("changed");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status", exact: true }).click();
  await expect(page).toHaveURL(`${deck.url}status`);
});

test("unsaved edits are kept when the back button is pressed and the user stays", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "kv/data/careful/back", { data: { k: "v" } });
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/show/careful/back`);
  await page.getByTestId("edit-secret").click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/edit/careful/back`);
  await page.getByTestId("edit-value").first().fill("changed");
  await expect(page.getByTestId("unsaved")).toBeVisible();

  const asked = new Promise<string>((resolve) =>
    page.once("dialog", (dialog) => {
      resolve(dialog.message());
      void dialog.dismiss();
    }),
  );
  await page.goBack();
  expect(await asked).toContain("unsaved changes");
  await expect(page).toHaveURL(`${deck.url}secrets/kv/edit/careful/back`);
  await expect(page.getByTestId("edit-value").first()).toHaveValue("changed");

  page.once("dialog", (dialog) => dialog.accept());
  await page.goBack();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/careful/back`);
  await expect(page.locator('[data-testid="secret-row"][data-key="k"]')).toBeVisible();
});

test("search through sub-folders streams matches, and cancel stops it", async ({ page }) => {
  for (const path of ["search/a/db-password", "search/b/c/db-password", "search/b/api-key", "search/d/e/f/db-root"]) {
    await vaultOk(lab.addr, lab.rootToken, "POST", `kv/data/${path}`, { data: { k: "v" } });
  }
  await logIn(page);
  await page.goto(`${deck.url}secrets/kv/list/search/`);
  await page.getByTestId("search-query").fill("db-");
  await page.getByTestId("search-start").click();
  await expect(page.getByTestId("search-status")).toContainText("3 matches");
  const results = page.getByTestId("search-result");
  await expect(results).toHaveCount(3);
  await expect(results.first()).toHaveAttribute("href", /secrets\/kv\/show\/search\//);
  await page.getByTestId("search-depth").selectOption("2");
  await page.getByTestId("search-start").click();
  await expect(page.getByTestId("search-status")).toContainText("deeper folders were not searched");
  await page.getByTestId("search-result").filter({ hasText: "search/a/db-password" }).click();
  await expect(page).toHaveURL(`${deck.url}secrets/kv/show/search/a/db-password`);
});

test("create secret and add row clicked at script speed: no panic, every secret saved", async ({ page }) => {
  // The course walk clicks faster than a person: each click may land while the last page
  // is being replaced. The page-error watch of every test fails this one on any panic.
  await logIn(page);
  for (const app of ["fast_one", "fast_two", "fast_three"]) {
    await page.goto(`${deck.url}secrets/kv/list/`);
    await page.getByTestId("create-secret").click();
    await page.getByTestId("add-row").click();
    await page.getByTestId("add-row").click();
    await page.getByTestId("secret-path").fill(`fast/${app}`);
    const rows = page.getByTestId("edit-row");
    await rows.nth(0).getByTestId("edit-key").fill("user");
    await rows.nth(0).getByTestId("edit-value").fill(app);
    await page.getByTestId("save-secret").click();
    await expect(page).toHaveURL(`${deck.url}secrets/kv/show/fast/${app}`);
  }
  for (const app of ["fast_one", "fast_two", "fast_three"]) {
    const stored = await vaultOk(lab.addr, lab.rootToken, "GET", `kv/data/fast/${app}`);
    expect(stored.data.data.user).toBe(app);
  }
});
