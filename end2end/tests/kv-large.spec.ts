// A folder of 100,000 secrets opens, scrolls to its end and filters, with only the visible
// rows in the page.

import { expect, test } from "./support/fixtures";
import { displayName, enableKv, startVault, TestVault, vaultOk } from "./support/vault";
import { seedKeys } from "./support/seed";
import { startVaultdeck, Vaultdeck } from "./support/servers";

const COUNT = 100_000;
let lab: TestVault;
let deck: Vaultdeck;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  lab = await startVault();
  deck = await startVaultdeck({ vaultAddr: lab.addr });
  // KV version 1: one write per key, the same folder listing for the browser.
  await enableKv(lab.addr, lab.rootToken, "big", 1);
  const took = await seedKeys(lab.addr, lab.rootToken, "big", "many/", COUNT);
  console.log(`seeded ${COUNT} keys in ${(took / 1000).toFixed(1)} s`);
});
test.afterAll(async () => {
  await deck?.stop();
  await lab?.stop();
});

test("a folder of 100,000 keys opens, scrolls to the end and filters", async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(`${deck.url}login`);
  await expect(page.getByTestId("login-submit")).toBeEnabled();
  await page.getByTestId("login-first").fill(lab.rootToken);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("session-user")).toHaveText(await displayName(lab.addr, lab.rootToken));

  await page.goto(`${deck.url}secrets/big/list/many/`);
  await expect(page.getByTestId("kv-count")).toHaveText("100000 entries", { timeout: 30_000 });
  await expect(page.locator('[data-testid="kv-row"][data-key="key-000000"]')).toBeVisible();
  // Only the rows near the viewport are in the DOM.
  expect(await page.getByTestId("kv-row").count()).toBeLessThan(60);

  const list = page.getByTestId("kv-list");
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('[data-testid="kv-row"][data-key="key-099999"]')).toBeVisible();
  expect(await page.getByTestId("kv-row").count()).toBeLessThan(60);

  // Halfway, by scrolling in steps as a person would.
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(page.locator('[data-testid="kv-row"][data-key^="key-0499"], [data-testid="kv-row"][data-key^="key-0500"]').first()).toBeVisible();

  const filter = page.getByTestId("kv-filter");
  await filter.pressSequentially("key-09999");
  await expect(page.getByTestId("kv-count")).toHaveText("10 of 100000 entries match");
  await expect(filter).toHaveValue("key-09999");
  await expect(page.getByTestId("kv-row")).toHaveCount(10);
  await filter.press("Backspace");
  await expect(page.getByTestId("kv-count")).toHaveText("100 of 100000 entries match");
  await expect(filter).toHaveValue("key-0999");
  await page.locator('[data-testid="kv-row"][data-key="key-099900"]').click();
  await expect(page).toHaveURL(`${deck.url}secrets/big/show/many/key-099900`);
});
