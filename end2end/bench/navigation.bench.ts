// `cargo xtask bench navigation`: how long a click takes to draw the next page, for the pages
// whose code is in a chunk (app/src/page_chunks.rs): the mounts list, a KV folder, the
// policies and the Kubernetes overview. Cold: a fresh browser context, the chunk not yet
// fetched, and the click dispatched without moving the pointer (so no hover prefetch helps);
// warm: the same clicks again in that context. Time from the click to the frame in which the
// page's content is in the DOM, measured inside the page; median of 5 contexts.

import { Browser, Page, test } from "@playwright/test";
import { startVault, vaultOk } from "../tests/support/vault";
import { startVaultdeck } from "../tests/support/servers";
import { logInWithToken } from "../tests/support/ui";

interface Step {
  page: string;
  /** The link clicked (CSS). */
  link: string;
  /** Present once the page has drawn its content (CSS); absent on the page before. */
  drawn: string;
}

// One walk through the app, each click from the page the previous step drew.
const WALK: Step[] = [
  { page: "home → secrets engines", link: 'nav a[href$="/secrets"]', drawn: '[data-testid="mount-row"][data-path="kv"]' },
  { page: "engines → KV folder", link: '[data-testid="mount-row"][data-path="kv"] a', drawn: '[data-testid="kv-row"]' },
  { page: "KV → policies", link: 'nav a[href$="/access/policies"]', drawn: '[data-testid="policy-row"]' },
  { page: "policies → Kubernetes", link: 'nav a[href$="/kubernetes"]', drawn: '[data-testid="k8s-mount"]' },
];
const RUNS = 5;

/** Clicks `link` in the page and resolves with the ms until `drawn` is in the DOM. */
async function clickUntilDrawn(page: Page, step: Step): Promise<number> {
  await page.locator(step.link).first().waitFor();
  return page.evaluate(async ({ link, drawn }) => {
    const anchor = document.querySelector<HTMLElement>(link)!;
    const started = performance.now();
    anchor.click();
    return new Promise<number>((resolve) => {
      const check = () => (document.querySelector(drawn) ? resolve(performance.now() - started) : requestAnimationFrame(check));
      requestAnimationFrame(check);
    });
  }, step);
}

/** Home, then every step of the walk; the ms of each step. */
async function walk(page: Page): Promise<number[]> {
  await page.locator("a.brand").click();
  await page.waitForURL((url) => !url.pathname.endsWith("/kubernetes"));
  const times: number[] = [];
  for (const step of WALK) times.push(await clickUntilDrawn(page, step));
  return times;
}

async function coldThenWarm(browser: Browser, appUrl: string, token: string): Promise<{ cold: number[]; warm: number[] }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await logInWithToken(page, appUrl, token);
    const cold = await walk(page);
    const warm = await walk(page);
    return { cold, warm };
  } finally {
    await context.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test("navigation: click to page drawn, chunk cold and warm", async ({ browser }) => {
  const vault = await startVault();
  const deck = await startVaultdeck({ vaultAddr: vault.addr });
  const runs: { cold: number[]; warm: number[] }[] = [];
  try {
    await vaultOk(vault.addr, vault.rootToken, "POST", "sys/mounts/kv", { type: "kv", options: { version: "2" } });
    await vaultOk(vault.addr, vault.rootToken, "POST", "kv/data/app/config", { data: { password: "p" } });
    await vaultOk(vault.addr, vault.rootToken, "POST", "sys/auth/kubernetes", { type: "kubernetes" });
    for (let run = 0; run < RUNS; run++) runs.push(await coldThenWarm(browser, deck.url, vault.rootToken));
  } finally {
    await deck.stop();
    await vault.stop();
  }
  const lines = WALK.map((step, i) => {
    const cold = median(runs.map((r) => r.cold[i]));
    const warm = median(runs.map((r) => r.warm[i]));
    return `  ${step.page.padEnd(26)} ${cold.toFixed(1).padStart(9)} ${warm.toFixed(1).padStart(9)}`;
  });
  console.log(
    [
      `\nnavigation, click to page drawn (ms, median of ${RUNS} fresh contexts; Chromium)`,
      `  ${"step".padEnd(26)} ${"cold".padStart(9)} ${"warm".padStart(9)}`,
      ...lines,
      "",
    ].join("\n"),
  );
});
