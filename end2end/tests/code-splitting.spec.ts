// The WebAssembly is split by page (app/src/page_chunks.rs): the login page loads none of it
// (its form posts itself), the page after login the main module; a page's chunk is fetched when a link to it is hovered, or when the page is
// drawn; a deep link to a page outside the first load draws it from the server's HTML and
// hydrates once its chunk is in, without an error or another page in between. A chunk that
// does not arrive (failures injected by intercepting its requests) is fetched again; if it
// never does, the page says so and loads it on "Try again", without a panic.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, Page, test } from "./support/fixtures";
import { siteDir, startVaultdeck, Vaultdeck } from "./support/servers";
import { startVault, TestVault } from "./support/vault";
import { logInWithToken } from "./support/ui";

let vault: TestVault;
let deck: Vaultdeck;

test.beforeAll(async () => {
  vault = await startVault();
  deck = await startVaultdeck({ vaultAddr: vault.addr });
});
test.afterAll(async () => {
  await deck?.stop();
  await vault?.stop();
});

/** The file names of every `.wasm` the page fetches from now on. */
function wasmRequests(page: Page): string[] {
  const names: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) names.push(path.slice(path.lastIndexOf("/") + 1));
  });
  return names;
}

const isMainModule = (name: string) => /^vaultdeck\.[0-9a-f]+\.wasm$/.test(name);

test("the login page loads no WASM, the next page the main module only; hovering a link fetches that page's chunk", async ({ page }) => {
  const fetched = wasmRequests(page);
  // The background prefetch after login starts with the KV pages, one chunk at a time. Their
  // module is never answered here, so the prefetch stays there, and what is fetched when the
  // link is hovered is the hover's doing.
  await page.route(/\/split_kv_pages\.[0-9a-f]+\.wasm$/, () => undefined);
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  expect(fetched).toEqual([]);

  await logInWithToken(page, deck.url, vault.rootToken);
  expect(fetched.filter(isMainModule)).toHaveLength(1);
  const loggedIn = fetched.length;
  const isPolicyModule = (name: string) => name.startsWith("split_policy_pages.");
  const policies = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Policies", exact: true });
  await policies.hover();
  // The background prefetch is held at the KV pages, which come before the policies: only the
  // hover can have asked for the policy pages' module.
  await expect.poll(() => fetched.some(isPolicyModule)).toBe(true);
  await policies.click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  // The click found the code loaded or on its way: nothing was fetched twice.
  const sinceLogin = fetched.slice(loggedIn);
  expect(sinceLogin.filter(isPolicyModule)).toHaveLength(1);
  expect(sinceLogin.filter((name, i) => sinceLogin.indexOf(name) !== i)).toEqual([]);
  await page.unrouteAll({ behavior: "ignoreErrors" });
});

test("once logged in, every page's code is fetched in the background, and no first click waits for it", async ({ page }) => {
  const fetched = wasmRequests(page);
  await logInWithToken(page, deck.url, vault.rootToken);
  const pageModules = readdirSync(join(siteDir(), "pkg")).filter((file) => /^split_.*\.wasm$/.test(file));
  expect(pageModules.length).toBeGreaterThan(1);
  await expect.poll(() => pageModules.filter((file) => fetched.includes(file)), { timeout: 20_000 }).toEqual(pageModules);
  await page.waitForLoadState("networkidle");

  const afterPrefetch = fetched.length;
  const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
  await nav("Policies").click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  await nav("Kubernetes").click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Kubernetes");
  await nav("Secrets").click();
  await expect(page.getByTestId("mount-row").first()).toBeVisible();
  expect(fetched.slice(afterPrefetch)).toEqual([]);
});

test("a deep link to a page in a chunk draws it and hydrates with nothing else in between", async ({ page }) => {
  await logInWithToken(page, deck.url, vault.rootToken);
  const fetched = wasmRequests(page);
  // Every state the page's main region goes through, from the first parse on.
  await page.addInitScript(() => {
    (window as any).__headings = [];
    new MutationObserver(() => {
      const heading = document.querySelector("main h1")?.textContent ?? "";
      const seen: string[] = (window as any).__headings;
      if (seen[seen.length - 1] !== heading) seen.push(heading);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`${deck.url}access/policies/create`);
  const name = page.getByTestId("policy-name");
  await name.fill("from-a-deep-link");
  await expect(name).toHaveValue("from-a-deep-link");
  expect(fetched.filter((file) => !isMainModule(file)).length).toBeGreaterThan(0);
  const headings: string[] = await page.evaluate(() => (window as any).__headings);
  expect(new Set(headings.filter((h) => h !== "")).size, `headings seen: ${JSON.stringify(headings)}`).toBe(1);
});

/** Fails every chunk request (not the main module) while `failing()` says so. */
async function failChunkRequests(page: Page, failing: (file: string) => boolean): Promise<void> {
  await page.route(/\.wasm$/, (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = path.slice(path.lastIndexOf("/") + 1);
    return !isMainModule(file) && failing(file) ? route.abort("internetdisconnected") : route.continue();
  });
}

test("a chunk whose first fetch fails is fetched again and the page draws", async ({ page }) => {
  await logInWithToken(page, deck.url, vault.rootToken);
  const failedOnce = new Set<string>();
  // What Chromium does to queued requests when the host's network changes: each chunk's
  // first request fails, the next one goes through.
  await failChunkRequests(page, (file) => {
    if (failedOnce.has(file)) return false;
    failedOnce.add(file);
    return true;
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Policies", exact: true }).click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  expect(failedOnce.size).toBeGreaterThan(0);
  await expect(page.getByTestId("chunk-unavailable")).toHaveCount(0);
});

test("a chunk that cannot be fetched is named on the page, and Try again loads it", async ({ page }) => {
  await logInWithToken(page, deck.url, vault.rootToken);
  let offline = true;
  await failChunkRequests(page, () => offline);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Policies", exact: true }).click();
  const notice = page.getByTestId("chunk-unavailable");
  await expect(notice).toContainText("This page could not be loaded");
  await expect(page).toHaveURL(`${deck.url}access/policies`);
  // The rest of the app still works while the page's code is missing.
  await expect(page.getByTestId("session-user")).toBeVisible();

  offline = false;
  await notice.getByTestId("chunk-retry").click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  await expect(notice).toHaveCount(0);
});

test("a deep link whose chunk cannot be fetched draws the app with the notice, and Try again recovers", async ({ page }) => {
  await logInWithToken(page, deck.url, vault.rootToken);
  let offline = true;
  await failChunkRequests(page, () => offline);
  await page.goto(`${deck.url}access/policies/create`);
  const notice = page.getByTestId("chunk-unavailable");
  await expect(notice).toBeVisible();
  // One page, drawn by the app: not the server's form left behind with the notice after it.
  await expect(page.getByTestId("policy-name")).toHaveCount(0);
  await expect(page.getByTestId("session-user")).toBeVisible();

  offline = false;
  await notice.getByTestId("chunk-retry").click();
  const name = page.getByTestId("policy-name");
  await name.fill("after-the-network-came-back");
  await expect(name).toHaveValue("after-the-network-came-back");
});
