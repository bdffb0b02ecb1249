// `cargo xtask bench first-load`: the login page of Vaultdeck and of OpenBao's own UI, served
// by the same OpenBao, in Chromium: bytes on the wire and the time until the token field
// takes input, with an empty cache and again with the cache kept. Vaultdeck's login page
// brings no WASM (its form posts itself); what the app costs is paid by the page after
// login, measured here too: from the click on "Log in" to that page drawn.

import { expect, Page, test } from "@playwright/test";
import { startVault } from "../tests/support/vault";
import { startVaultdeck } from "../tests/support/servers";

interface Load {
  bytes: number;
  requests: number;
  ms: number;
}

/** Loads `url` and types into the token field; counts what crossed the wire meanwhile. */
async function load(page: Page, url: string, tokenField: string): Promise<Load> {
  const wire = await countWire(page);
  const started = Date.now();
  await page.goto(url);
  // Typing succeeds only once the app has drawn the field and made it editable.
  await page.locator(tokenField).first().fill("s.probe");
  const ms = Date.now() - started;
  await expect(page.locator(tokenField).first()).toHaveValue("s.probe");
  return { ...(await wire.stop()), ms };
}

/** Counts the bytes (`encodedDataLength`) and requests the page finishes until `stop`. */
async function countWire(page: Page): Promise<{ stop: () => Promise<{ bytes: number; requests: number }> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  let requests = 0;
  cdp.on("Network.loadingFinished", (event: { encodedDataLength: number }) => {
    bytes += event.encodedDataLength;
    requests += 1;
  });
  return {
    stop: async () => {
      await cdp.detach();
      return { bytes, requests };
    },
  };
}

/** Logs in on a login page already loaded, by clicking `submit` after typing the token into
 * `field`; counts what crossed the wire until `drawn` says the page after it is there. */
async function logIn(page: Page, token: string, field: string, submit: string, drawn: () => Promise<void>): Promise<Load> {
  const wire = await countWire(page);
  await page.locator(field).first().fill(token);
  const started = Date.now();
  await page.locator(submit).click();
  await drawn();
  const ms = Date.now() - started;
  return { ...(await wire.stop()), ms };
}

/** The median run of `count`, by time; bytes do not vary between runs of one kind. */
async function median(count: number, run: () => Promise<Load>): Promise<Load> {
  const runs: Load[] = [];
  for (let i = 0; i < count; i++) runs.push(await run());
  runs.sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(count / 2)];
}

const RUNS = 5;
const TARGET_BYTES_RATIO = 0.15;

test("first load: Vaultdeck's login page against OpenBao's own UI", async ({ browser }) => {
  const vault = await startVault();
  const deck = await startVaultdeck({ vaultAddr: vault.addr });
  const pages = [
    { name: "Vaultdeck", url: `${deck.url}login`, field: '[data-testid="login-first"]' },
    { name: "OpenBao UI", url: `${vault.addr}/ui/vault/auth?with=token`, field: 'input[name="token"]' },
  ];
  const results: Record<string, { cold: Load; warm: Load }> = {};
  const afterLogin: Record<string, Load> = {};
  try {
    for (const { name, url, field } of pages) {
      // Cold: a new context each time, so nothing is cached.
      const cold = await median(RUNS, async () => {
        const context = await browser.newContext();
        try {
          return await load(await context.newPage(), url, field);
        } finally {
          await context.close();
        }
      });
      // Warm: one context, loaded once to fill its cache, then measured.
      const context = await browser.newContext();
      const page = await context.newPage();
      await load(page, url, field);
      const warm = await median(RUNS, () => load(page, url, field));
      await context.close();
      results[name] = { cold, warm };
    }
    // The page after login, cold: a new context, the login page loaded, then the click.
    // Vaultdeck's next page is drawn when it shows who is logged in; OpenBao UI's when it
    // has left the login route and its network is quiet (its code came before login).
    const logins = [
      {
        name: "Vaultdeck",
        submit: '[data-testid="login-submit"]',
        drawn: (page: Page) => expect(page.getByTestId("session-user")).toBeVisible(),
      },
      {
        name: "OpenBao UI",
        submit: "#auth-submit",
        drawn: async (page: Page) => {
          await page.waitForURL((url) => !url.pathname.includes("/auth"));
          await page.waitForLoadState("networkidle");
        },
      },
    ];
    for (const [i, { name, submit, drawn }] of logins.entries()) {
      afterLogin[name] = await median(RUNS, async () => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(pages[i].url);
          return await logIn(page, vault.rootToken, pages[i].field, submit, () => drawn(page));
        } finally {
          await context.close();
        }
      });
    }
  } finally {
    await deck.stop();
    await vault.stop();
  }
  const deckLoads = results["Vaultdeck"];
  const baoLoads = results["OpenBao UI"];
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  const row = (metric: string, ours: string, theirs: string, ratio: number, target = "") =>
    `  ${metric.padEnd(40)} ${ours.padStart(12)} ${theirs.padStart(12)} ${ratio.toFixed(ratio < 0.1 ? 3 : 2).padStart(6)}×  ${target}`;
  const bytesRatio = deckLoads.cold.bytes / baoLoads.cold.bytes;
  console.log(
    [
      `\nfirst load, same OpenBao behind both, Chromium, median of ${RUNS} (KB = 1000 bytes on the wire)`,
      `  ${"metric".padEnd(40)} ${"Vaultdeck".padStart(12)} ${"OpenBao UI".padStart(12)} ${"ratio".padStart(7)}`,
      row(
        "bytes, empty cache",
        kb(deckLoads.cold.bytes),
        kb(baoLoads.cold.bytes),
        bytesRatio,
        `target ≤ ${TARGET_BYTES_RATIO}× ${bytesRatio <= TARGET_BYTES_RATIO ? "✓" : "✗"}`,
      ),
      row("requests, empty cache", String(deckLoads.cold.requests), String(baoLoads.cold.requests), deckLoads.cold.requests / baoLoads.cold.requests),
      row("ms until the token field takes input", String(deckLoads.cold.ms), String(baoLoads.cold.ms), deckLoads.cold.ms / baoLoads.cold.ms),
      row("bytes, cache kept", kb(deckLoads.warm.bytes), kb(baoLoads.warm.bytes), deckLoads.warm.bytes / baoLoads.warm.bytes),
      row("ms until input, cache kept", String(deckLoads.warm.ms), String(baoLoads.warm.ms), deckLoads.warm.ms / baoLoads.warm.ms),
      row("bytes, login clicked to next page", kb(afterLogin["Vaultdeck"].bytes), kb(afterLogin["OpenBao UI"].bytes), afterLogin["Vaultdeck"].bytes / afterLogin["OpenBao UI"].bytes),
      row("requests, login clicked to next page", String(afterLogin["Vaultdeck"].requests), String(afterLogin["OpenBao UI"].requests), afterLogin["Vaultdeck"].requests / afterLogin["OpenBao UI"].requests),
      row("ms, login clicked to next page", String(afterLogin["Vaultdeck"].ms), String(afterLogin["OpenBao UI"].ms), afterLogin["Vaultdeck"].ms / afterLogin["OpenBao UI"].ms),
      row(
        "bytes, login page + next page",
        kb(deckLoads.cold.bytes + afterLogin["Vaultdeck"].bytes),
        kb(baoLoads.cold.bytes + afterLogin["OpenBao UI"].bytes),
        (deckLoads.cold.bytes + afterLogin["Vaultdeck"].bytes) / (baoLoads.cold.bytes + afterLogin["OpenBao UI"].bytes),
      ),
      "",
    ].join("\n"),
  );
});
