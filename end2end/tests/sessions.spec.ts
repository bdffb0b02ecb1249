// Logging in and out in the browser; the session ending with a message and a way back;
// and the point of it all: the Vault token is nowhere the browser can see.

import { expect, Page, test } from "./support/fixtures";
import { createToken, createUser, TestVault, startVault, vault, vaultOk } from "./support/vault";
import { startVaultdeck, Vaultdeck } from "./support/servers";

let lab: TestVault;
let deck: Vaultdeck;

test.beforeAll(async () => {
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr });
  await createUser(lab.addr, lab.rootToken, "alice", "alice-password", ["default"]);
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
});

test("the login page brings no code: its form logs in by itself and returns where asked", async ({ page }) => {
  const requested: string[] = [];
  page.on("request", (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(`${deck.url}login?return=%2Fstatus`);
  await expect(page.getByTestId("login-first")).toBeEditable();
  // Only the page, its stylesheet and its icon: no script, no WASM.
  expect(requested.filter((path) => /\.(js|wasm)$/.test(path))).toEqual([]);
  await page.getByTestId("login-tab-userpass").click();
  await expect(page).toHaveURL(/tab=userpass/);
  await page.getByTestId("login-first").fill("alice");
  await page.getByTestId("login-second").fill("not-alices-password");
  await page.getByTestId("login-submit").click();
  // Refused: Vault's words, the user name kept, the password not.
  await expect(page.getByTestId("error-message")).toContainText("invalid username or password");
  await expect(page.getByTestId("login-first")).toHaveValue("alice");
  await expect(page.getByTestId("login-second")).toHaveValue("");
  await page.getByTestId("login-second").fill("alice-password");
  await page.getByTestId("login-submit").click();
  await expect(page).toHaveURL(`${deck.url}status`);
  await expect(page.getByTestId("session-user")).toHaveText("userpass-alice");
});

test("a page for logged-in users, opened without a session, goes to the login page first and back after", async ({ page }) => {
  await page.goto(`${deck.url}access/policies?x=1`);
  await expect(page).toHaveURL(`${deck.url}login?return=%2Faccess%2Fpolicies%3Fx%3D1`);
  await page.getByTestId("login-first").fill(lab.rootToken);
  await page.getByTestId("login-submit").click();
  await expect(page).toHaveURL(`${deck.url}access/policies?x=1`);
  await expect(page.getByTestId("session-user")).toBeVisible();
});

async function logInWithToken(page: Page, token: string) {
  await page.getByTestId("login-tab-token").click();
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-first").fill(token);
  await page.getByTestId("login-submit").click();
}

/** Everything the browser can see: response bodies and headers, storage, cookies, the DOM. */
async function browserVisibleText(page: Page, responses: string[]): Promise<string> {
  const storage = await page.evaluate(() => {
    const dump = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`).join("\n");
    return [dump(localStorage), dump(sessionStorage), document.cookie, document.documentElement.outerHTML].join("\n");
  });
  return responses.join("\n") + "\n" + storage;
}

test("a token login keeps the token out of everything the browser can see", async ({ page }) => {
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["default"], display_name: "browser-check" });
  const seen: string[] = [];
  page.on("response", async (response) => {
    seen.push(JSON.stringify(response.headers()));
    try {
      seen.push(await response.text());
    } catch {
      // redirects and aborted loads have no body
    }
  });
  await page.goto(`${deck.url}login`);
  await logInWithToken(page, token);
  await expect(page.getByTestId("session-user")).toHaveText("token-browser-check");
  await page.goto(`${deck.url}status`);
  await expect(page.getByTestId("token-details")).toContainText("token-browser-check");
  await page.waitForLoadState("networkidle");
  const visible = await browserVisibleText(page, seen);
  expect(visible).not.toContain(token);
  expect(await page.evaluate(() => document.cookie)).toBe("");
});

test("a userpass login keeps the token out of the browser too", async ({ page }) => {
  const seen: string[] = [];
  page.on("response", async (response) => {
    seen.push(JSON.stringify(response.headers()));
    try {
      seen.push(await response.text());
    } catch {
      // no body
    }
  });
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-tab-userpass").click();
  await page.getByTestId("login-first").fill("alice");
  await expect(page.getByTestId("login-second")).toHaveAttribute("autocomplete", "current-password");
  await page.getByTestId("login-second").fill("alice-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("session-user")).toHaveText("userpass-alice");
  await page.goto(`${deck.url}status`);
  await expect(page.getByTestId("token-details")).toContainText("userpass-alice");
  await page.waitForLoadState("networkidle");
  // The token Vault issued at login was never known to the test: look for any token shape.
  const visible = await browserVisibleText(page, seen);
  expect(visible).not.toMatch(/hv[sb]\.[A-Za-z0-9]{10,}/);
  expect(visible).not.toContain("alice-password");
});

test("a wrong password shows Vault's error and keeps the form filled", async ({ page }) => {
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-tab-userpass").click();
  await page.getByTestId("login-first").fill("alice");
  await page.getByTestId("login-second").fill("not-her-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("error-message")).toHaveText("invalid username or password");
  await expect(page.getByTestId("login-first")).toHaveValue("alice");
});

test("an expired session returns to login with a message, then back to the page", async ({ page }) => {
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["default"], ttl: "4s", renewable: false });
  await page.goto(`${deck.url}login`);
  await logInWithToken(page, token);
  await expect(page.getByTestId("token-countdown")).toContainText("token expires in");
  await page.goto(`${deck.url}status`);
  await expect(page.getByTestId("token-details")).toBeVisible();
  // The status page keeps asking Vault; once the token has expired the BFF says so.
  await expect(page.getByTestId("login-reason")).toContainText("expired", { timeout: 15_000 });
  await expect(page).toHaveURL(/\/login\?reason=expired&return=%2Fstatus/);
  await logInWithToken(page, lab.rootToken);
  await expect(page).toHaveURL(`${deck.url}status`);
  await expect(page.getByTestId("token-details")).toContainText("root");
});

test("logging out keeps a token the user brought, and revokes one Vaultdeck obtained", async ({ page }) => {
  // The root token from initialization, pasted as the course says, must survive logout.
  const token = await createToken(lab.addr, lab.rootToken, { policies: ["default"] });
  await page.goto(`${deck.url}login`);
  await logInWithToken(page, token);
  await expect(page.getByTestId("session-user")).toBeVisible();
  await page.getByTestId("logout").click();
  await expect(page).toHaveURL(`${deck.url}login`);
  await expect(page.getByTestId("toasts")).toContainText("The token you logged in with was not revoked");
  expect((await vault(lab.addr, token, "GET", "auth/token/lookup-self")).status).toBe(200);

  const accessors = async () => (await vault(lab.addr, lab.rootToken, "LIST", "auth/token/accessors")).body.data.keys.length;
  await page.getByTestId("login-tab-userpass").click();
  await page.getByTestId("login-first").fill("alice");
  await page.getByTestId("login-second").fill("alice-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("session-user")).toBeVisible();
  const before = await accessors();
  await page.getByTestId("logout").click();
  await expect(page.getByTestId("toasts")).toContainText("the token Vaultdeck obtained at login was revoked");
  expect(await accessors()).toBe(before - 1);
});

test("a page that needs a session sends the visitor to log in and back", async ({ page }) => {
  await page.goto(`${deck.url}access/auth`);
  await expect(page).toHaveURL(/\/login\?return=%2Faccess%2Fauth/);
  await logInWithToken(page, lab.rootToken);
  await expect(page).toHaveURL(`${deck.url}access/auth`);
  await expect(page.getByTestId("mount-table")).toContainText("token/");
});

// The way back keeps the page's query: a version of a secret is still that version after login.
test("the way back through login keeps the address's query", async ({ page }) => {
  await vaultOk(lab.addr, lab.rootToken, "POST", "secret/data/way-back", { data: { step: "one" } });
  await vaultOk(lab.addr, lab.rootToken, "POST", "secret/data/way-back", { data: { step: "two" } });
  await page.goto(`${deck.url}secrets/secret/show/way-back?version=1`);
  await expect(page).toHaveURL(/\/login\?return=%2Fsecrets%2Fsecret%2Fshow%2Fway-back%3Fversion%3D1$/);
  await logInWithToken(page, lab.rootToken);
  await expect(page).toHaveURL(`${deck.url}secrets/secret/show/way-back?version=1`);
  await expect(page.getByTestId("secret-version")).toContainText("Version 1");
});
