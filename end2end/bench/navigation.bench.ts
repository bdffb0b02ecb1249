// `cargo xtask bench navigation`: how long a click takes to draw the next page, for the pages
// whose code is in a chunk (app/src/page_chunks.rs): the mounts list, a KV folder, the
// policies and the Kubernetes overview. Once someone is logged in, the app fetches every
// chunk in the background (starting a second after login), so the walk is timed four ways:
// just logged in: a fresh browser context, the walk started at once and every click
// dispatched without moving the pointer (no hover prefetch helps; the background prefetch
// may catch up with the later steps); hovered: the same, but the pointer rests on each link
// first, as a person's does; settled: the walk started once the background prefetch is done;
// warm: the same clicks again. Time from the click to the frame in which the page's content
// is in the DOM, measured inside the page; median of 5 contexts.

import { Browser, Page, test } from "@playwright/test";
import { enableKv, startVault, vaultOk } from "../tests/support/vault";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { siteDir, startVaultdeck } from "../tests/support/servers";
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

/** How long a person's pointer typically rests on a link before the click lands. */
const HOVER_MS = 150;

/** Clicks `link` in the page and resolves with the ms until `drawn` is in the DOM; with
 * `hover`, the pointer rests on the link for HOVER_MS first (the app prefetches then). */
async function clickUntilDrawn(page: Page, step: Step, hover = false): Promise<number> {
  await page.locator(step.link).first().waitFor();
  if (hover) {
    await page.locator(step.link).first().hover();
    await page.waitForTimeout(HOVER_MS);
  }
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
async function walk(page: Page, hover = false): Promise<number[]> {
  await page.locator("a.brand").click();
  await page.waitForURL((url) => !url.pathname.endsWith("/kubernetes"));
  const times: number[] = [];
  for (const step of WALK) times.push(await clickUntilDrawn(page, step, hover));
  return times;
}

interface Run {
  cold: number[];
  hovered: number[];
  settled: number[];
  warm: number[];
}

/** The page modules of the build (one per page group); their shared chunks come with them. */
function pageModules(): string[] {
  return readdirSync(join(siteDir(), "pkg")).filter((file) => /^split_.*\.wasm$/.test(file));
}

/** Resolves once every page module has been fetched in full: the background prefetch is done. */
async function backgroundPrefetchDone(page: Page, finished: Set<string>): Promise<void> {
  const expected = pageModules();
  while (!expected.every((file) => finished.has(file))) await page.waitForTimeout(50);
}

/** In a fresh context, the walk just after login (then again, warm); in another, the same
 * but hovered first; in a third, once the background prefetch is done. */
async function oneRun(browser: Browser, appUrl: string, token: string): Promise<Run> {
  const inFreshContext = async <T>(work: (page: Page, finished: Set<string>) => Promise<T>): Promise<T> => {
    const context = await browser.newContext();
    const finished = new Set<string>();
    context.on("requestfinished", (request) => {
      const path = new URL(request.url()).pathname;
      finished.add(path.slice(path.lastIndexOf("/") + 1));
    });
    try {
      const page = await context.newPage();
      await logInWithToken(page, appUrl, token);
      return await work(page, finished);
    } finally {
      await context.close();
    }
  };
  const [cold, warm] = await inFreshContext(async (page) => [await walk(page), await walk(page)]);
  const hovered = await inFreshContext((page) => walk(page, true));
  const settled = await inFreshContext(async (page, finished) => {
    await backgroundPrefetchDone(page, finished);
    return walk(page);
  });
  return { cold, hovered, settled, warm };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test("navigation: click to page drawn, chunk cold and warm", async ({ browser }) => {
  const vault = await startVault();
  const deck = await startVaultdeck({ vaultAddr: vault.addr });
  const runs: Run[] = [];
  try {
    await enableKv(vault.addr, vault.rootToken, "kv", 2);
    await vaultOk(vault.addr, vault.rootToken, "POST", "kv/data/app/config", { data: { password: "p" } });
    await vaultOk(vault.addr, vault.rootToken, "POST", "sys/auth/kubernetes", { type: "kubernetes" });
    for (let run = 0; run < RUNS; run++) runs.push(await oneRun(browser, deck.url, vault.rootToken));
  } finally {
    await deck.stop();
    await vault.stop();
  }
  const cell = (values: number[]) => median(values).toFixed(1).padStart(14);
  const lines = WALK.map((step, i) => {
    const pick = (kind: keyof Run) => runs.map((r) => r[kind][i]);
    return `  ${step.page.padEnd(26)} ${cell(pick("cold"))} ${cell(pick("hovered"))} ${cell(pick("settled"))} ${cell(pick("warm"))}`;
  });
  console.log(
    [
      `\nnavigation, click to page drawn (ms, median of ${RUNS} fresh contexts; Chromium)`,
      `  just logged in: first visit, walked at once after login; hovered: the same, pointer on the`,
      `  link ${HOVER_MS} ms before the click; settled: first visit, walked once the background prefetch`,
      `  is done; warm: second visit (the code is there: the time is drawing and data)`,
      `  ${"step".padEnd(26)} ${"just logged in".padStart(14)} ${"hovered".padStart(14)} ${"settled".padStart(14)} ${"warm".padStart(14)}`,
      ...lines,
      "",
    ].join("\n"),
  );
});
