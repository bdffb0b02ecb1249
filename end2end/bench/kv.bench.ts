// `cargo xtask bench kv`: a folder of 100,000 keys, on the server VAULTDECK_TEST_VAULT names
// (OpenBao unless it says labvault). Prints the BFF's time to the first
// page, the time from the LIST's answer to the first rows painted, per-keystroke filter
// cost in Chromium, and the DOM size — with the targets and the ratio to each.

import { expect, test } from "@playwright/test";
import { displayName, startVault, vaultOk } from "../tests/support/vault";
import { seedKeys } from "../tests/support/seed";
import { startVaultdeck } from "../tests/support/servers";

const COUNT = 100_000;

interface Row {
  metric: string;
  value: number;
  unit: string;
  target?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

test("kv: a folder of 100,000 keys", async ({ page }) => {
  const rows: Row[] = [];
  const lab = await startVault();
  const deck = await startVaultdeck({ vaultAddr: lab.addr });
  try {
    await vaultOk(lab.addr, lab.rootToken, "POST", "sys/mounts/big", { type: "kv", options: { version: "1" } });
    const seedMs = await seedKeys(lab.addr, lab.rootToken, "big", "many/", COUNT);
    rows.push({ metric: "seed 100,000 keys through the API", value: seedMs / 1000, unit: "s" });

    // Vault alone, then the BFF: cold (it LISTs, sorts and keeps the listing), warm, filtered.
    const listVault = () => fetch(`${lab.addr}/v1/big/many/?list=true`, { headers: { "x-vault-token": lab.rootToken } }).then((r) => r.text());
    const vaultMs = median([await timed(listVault), await timed(listVault), await timed(listVault)]);
    rows.push({ metric: "Vault LIST of the folder (direct)", value: vaultMs, unit: "ms" });
    const login = await fetch(`${deck.url}api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-with": "vaultdeck" },
      body: JSON.stringify({ method: "token", token: lab.rootToken }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    const page0 = (query: string) => fetch(`${deck.url}api/list/v1/big/many/?limit=200${query}`, { headers: { cookie } }).then((r) => r.text());
    const coldMs = median([await timed(() => page0("&refresh=true")), await timed(() => page0("&refresh=true")), await timed(() => page0("&refresh=true"))]);
    rows.push({ metric: "BFF first page, cold (LIST + sort + page)", value: coldMs, unit: "ms" });
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) warm.push(await timed(() => page0("")));
    rows.push({ metric: "BFF first page, listing kept", value: median(warm), unit: "ms" });
    const filtered: number[] = [];
    for (let i = 0; i < 20; i++) filtered.push(await timed(() => page0(`&filter=key-0${i % 10}99`)));
    rows.push({ metric: "BFF filtered page (substring over 100,000)", value: median(filtered), unit: "ms" });

    // The browser.
    await page.goto(`${deck.url}login`);
    await page.getByTestId("login-first").fill(lab.rootToken);
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("session-user")).toHaveText(await displayName(lab.addr, lab.rootToken));
    const paint: number[] = [];
    const navigation: number[] = [];
    for (let run = 0; run < 5; run++) {
      await page.goto(`${deck.url}secrets/big/list/many/`);
      await expect(page.getByTestId("kv-count")).toHaveText("100000 entries");
      await page.waitForFunction(() => performance.getEntriesByName("vaultdeck:kv-rows").length > 0);
      const timing = await page.evaluate(() => {
        const mark = performance.getEntriesByName("vaultdeck:kv-rows")[0].startTime;
        const list = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) => e.name.includes("/api/list/v1/")).sort((a, b) => a.responseEnd - b.responseEnd)[0];
        return { mark, listEnd: list.responseEnd };
      });
      paint.push(timing.mark - timing.listEnd);
      navigation.push(timing.mark);
    }
    rows.push({ metric: "navigation to first rows painted", value: median(navigation), unit: "ms" });
    rows.push({ metric: "LIST answer to first rows painted", value: median(paint), unit: "ms", target: 300 });

    // Keystrokes: the input handler's own cost, and the Event Timing API's view of each
    // keyboard event — the work done for it (processing) and its whole duration, which also
    // waits for the next frame to be painted (about 16 ms at 60 Hz even when no work is done).
    await page.evaluate(() => {
      (window as any).__keyEvents = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as any[]) {
          if (!["keydown", "keypress", "keyup", "input", "beforeinput"].includes(entry.name)) continue;
          (window as any).__keyEvents.push({ processing: entry.processingEnd - entry.processingStart, duration: entry.duration });
        }
      }).observe({ type: "event", durationThreshold: 16, buffered: false } as any);
    });
    const perKey: number[] = await page.evaluate(async () => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="kv-filter"]')!;
      const times: number[] = [];
      for (const c of "key-0999") {
        const started = performance.now();
        input.value += c;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        times.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 40));
      }
      return times;
    });
    rows.push({ metric: "filter keystroke, input handling (max of 8)", value: Math.max(...perKey), unit: "ms", target: 16 });
    await page.getByTestId("kv-filter").fill("");
    const typed = await timed(async () => {
      await page.getByTestId("kv-filter").pressSequentially("key-0999", { delay: 30 });
      await expect(page.getByTestId("kv-count")).toHaveText("100 of 100000 entries match");
    });
    rows.push({ metric: "typing 8 keys until the filtered count shows", value: typed, unit: "ms" });
    const events: { processing: number; duration: number }[] = await page.evaluate(() => (window as any).__keyEvents);
    rows.push({ metric: "key events at or over 16 ms (Event Timing)", value: events.length, unit: "events" });
    if (events.length > 0) {
      rows.push({ metric: "  their longest processing (handler work)", value: Math.max(...events.map((e) => e.processing)), unit: "ms", target: 16 });
      rows.push({ metric: "  their longest duration (input to next paint)", value: Math.max(...events.map((e) => e.duration)), unit: "ms" });
    }

    await page.getByTestId("kv-filter").fill("");
    await expect(page.getByTestId("kv-count")).toHaveText("100000 entries");
    const list = page.getByTestId("kv-list");
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(page.locator('[data-testid="kv-row"][data-key="key-099999"]')).toBeVisible();
    const dom = await page.evaluate(() => ({ rows: document.querySelectorAll('[data-testid="kv-row"]').length, nodes: document.getElementsByTagName("*").length }));
    rows.push({ metric: "rows in the DOM (of 100,000), scrolled to the end", value: dom.rows, unit: "rows", target: 40 });
    rows.push({ metric: "all DOM elements on the page", value: dom.nodes, unit: "elements" });
  } finally {
    await deck.stop();
    await lab.stop();
  }
  const lines = rows.map((r) => {
    const value = r.unit === "ms" ? r.value.toFixed(1) : r.unit === "s" ? r.value.toFixed(1) : String(r.value);
    const target = r.target === undefined ? "" : `${r.target} ${r.unit}`;
    const ratio = r.target === undefined ? "" : r.target === 0 ? (r.value === 0 ? "met" : "missed") : `${(r.value / r.target).toFixed(2)}× target`;
    return `  ${r.metric.padEnd(52)} ${value.padStart(9)} ${r.unit.padEnd(8)} ${target.padStart(10)}  ${ratio}`;
  });
  console.log(`\nkv benchmark (100,000 keys)\n  ${"metric".padEnd(52)} ${"value".padStart(9)} ${"unit".padEnd(8)} ${"target".padStart(10)}  ratio\n${lines.join("\n")}\n`);
});
