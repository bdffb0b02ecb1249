// The WebAssembly is split by page (app/src/page_chunks.rs): the login page loads only the
// main module; a page's chunk is fetched when a link to it is hovered, or when the page is
// drawn; a deep link to a page outside the first load draws it from the server's HTML and
// hydrates once its chunk is in, without an error or another page in between.

import { expect, Page, test } from "./support/fixtures";
import { startVaultdeck, Vaultdeck } from "./support/servers";
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

test("the login page loads the main module only; hovering a link fetches that page's chunk", async ({ page }) => {
  const fetched = wasmRequests(page);
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  expect(fetched.filter(isMainModule)).toHaveLength(1);
  expect(fetched.filter((name) => !isMainModule(name))).toEqual([]);

  await logInWithToken(page, deck.url, vault.rootToken);
  const beforeHover = fetched.length;
  const policies = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Policies", exact: true });
  await policies.hover();
  await expect.poll(() => fetched.slice(beforeHover).filter((name) => !isMainModule(name)).length).toBeGreaterThan(0);
  const afterHover = fetched.length;
  await policies.click();
  await expect(page.getByRole("link", { name: "default" })).toBeVisible();
  // The click found the chunk loaded: nothing more was fetched for the page.
  expect(fetched.slice(afterHover)).toEqual([]);
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
