// Every login method the server offers, in the browser: AppRole and JWT are rarely listed
// on the login page (listing is opt-in), so they are reached through "Other method". The
// server decides what exists: its plugin catalog is what the enable page offers.

import { expect, Page, test } from "./support/fixtures";
import { createSign, generateKeyPairSync } from "node:crypto";
import { startVaultdeck, Vaultdeck } from "./support/servers";
import { logInWithToken } from "./support/ui";
import { startVault, TestVault, vaultOk } from "./support/vault";

let lab: TestVault;
let deck: Vaultdeck;
let authTypes: string[];

test.beforeAll(async () => {
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr });
  authTypes = (await vaultOk(lab.addr, lab.rootToken, "GET", "sys/plugins/catalog")).data.auth;
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
});

async function logInWithOther(page: Page, method: string, mount: string, first: string, second: string) {
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-tab-other").click();
  await page.getByTestId(`login-method-${method}`).click();
  await expect(page.getByTestId(`login-method-${method}`)).toHaveAttribute("aria-current", "true");
  await expect(page.getByTestId("login-mount")).toHaveValue(method);
  await page.getByTestId("login-mount").fill(mount);
  await page.getByTestId("login-first").fill(first);
  // Only a password is offered to the browser's password manager.
  const autocomplete = method === "userpass" ? "current-password" : "off";
  await expect(page.getByTestId("login-second")).toHaveAttribute("autocomplete", autocomplete);
  await page.getByTestId("login-second").fill(second);
  await page.getByTestId("login-submit").click();
}

test("the enable page offers exactly the auth methods the server's catalog has", async ({ page }) => {
  await logInWithToken(page, deck.url, lab.rootToken);
  await page.goto(`${deck.url}access/auth/enable`);
  await expect(page.getByTestId("type-userpass")).toBeVisible();
  for (const kind of ["approle", "jwt", "kubernetes", "userpass"]) {
    await expect(page.getByTestId(`type-${kind}`)).toHaveCount(authTypes.includes(kind) ? 1 : 0);
  }
});

test("AppRole: a role ID and a secret ID log in", async ({ page }) => {
  test.skip(!authTypes.includes("approle"), "labvault leaves AppRole out; the test above checks it is not offered");
  await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/ci", { type: "approle" });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/ci/role/deployer", { token_policies: ["default"], token_ttl: "20m" });
  const roleId = (await vaultOk(lab.addr, lab.rootToken, "GET", "auth/ci/role/deployer/role-id")).data.role_id;
  const secretId = (await vaultOk(lab.addr, lab.rootToken, "POST", "auth/ci/role/deployer/secret-id", {})).data.secret_id;

  await logInWithOther(page, "approle", "ci", roleId, "not-the-secret-id");
  await expect(page.getByTestId("error-message")).toContainText("invalid");
  await expect(page.getByTestId("login-first")).toHaveValue(roleId);

  await page.getByTestId("login-second").fill(secretId);
  await page.getByTestId("login-submit").click();
  // Vault names a login's token after the mount's path, then the method's own name for the
  // user; AppRole gives none.
  await expect(page.getByTestId("session-user")).toHaveText("ci");
});

test("JWT: a token signed by a trusted key logs in to a role", async ({ page }) => {
  test.skip(!authTypes.includes("jwt"), "labvault leaves JWT out; the first test checks it is not offered");
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await vaultOk(lab.addr, lab.rootToken, "POST", "sys/auth/jwt", { type: "jwt" });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/jwt/config", {
    jwt_validation_pubkeys: [publicKey.export({ type: "spki", format: "pem" })],
    bound_issuer: "https://ci.example",
  });
  await vaultOk(lab.addr, lab.rootToken, "POST", "auth/jwt/role/builder", {
    role_type: "jwt",
    user_claim: "sub",
    bound_audiences: ["vaultdeck"],
    token_policies: ["default"],
  });
  const now = Math.floor(Date.now() / 1000);
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({
    iss: "https://ci.example",
    sub: "build-42",
    aud: "vaultdeck",
    iat: now,
    exp: now + 600,
  })}`;
  const jwt = `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(privateKey).toString("base64url")}`;

  await logInWithOther(page, "jwt", "jwt", "builder", jwt);
  await expect(page.getByTestId("session-user")).toHaveText("jwt-build-42");
});
