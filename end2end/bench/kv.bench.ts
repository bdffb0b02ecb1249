// `cargo xtask bench kv`: a KV v1 folder of 100,000 keys on OpenBao, opened in Chromium in
// Vaultdeck and, side by side, in OpenBao's own web UI served by the same server (`/ui/`;
// skipped when VAULTDECK_TEST_VAULT says labvault, which has no UI of its own). Prints the
// BFF's time to the first page, then for both UIs: navigation to first rows, per-keystroke
// filter cost, time until the filtered rows show, DOM size and memory — with the ratio
// Vaultdeck / OpenBao UI and the targets of issue 18.

import { Browser, BrowserContext, CDPSession, Page, test } from "@playwright/test";
import { createToken, enableKv, flavor, startVault, vaultOk } from "../tests/support/vault";
import { seedKeys } from "../tests/support/seed";
import { startVaultdeck } from "../tests/support/servers";
import { logInWithToken } from "../tests/support/ui";

// Tracing snapshots the DOM around every action: keep it out of the timings. A selector
// that finds nothing should fail in seconds, not at the 15-minute test timeout.
test.use({ trace: "off", actionTimeout: 30_000, navigationTimeout: 60_000 });

const COUNT = 100_000;
const RUNS = 5;
const TYPED = "key-0999"; // matches key-099900 … key-099999: 100 keys
const FIRST_MATCH = "key-099900";
const FIRST_KEY = "key-000000";

/** How one UI shows the folder; keys are names inside `many/`. */
interface Side {
  name: string;
  listUrl: string;
  /** The URL of the request that lists the folder. */
  listRequest: RegExp;
  anyRow: string;
  row(key: string): string;
  filter: string;
  /** The filter's value when nothing is filtered. */
  emptyFilter: string;
  logIn(page: Page, token: string): Promise<void>;
}

function vaultdeckSide(appUrl: string): Side {
  return {
    name: "Vaultdeck",
    listUrl: `${appUrl}secrets/big/list/many/`,
    listRequest: /\/api\/list\/v1\/big\/many\/\?/,
    anyRow: '[data-testid="kv-row"]',
    row: (key) => `[data-testid="kv-row"][data-key="${key}"]`,
    filter: '[data-testid="kv-filter"]',
    emptyFilter: "",
    logIn: (page, token) => logInWithToken(page, appUrl, token),
  };
}

// OpenBao's UI LISTs the whole folder once, keeps it, and shows pages of 100 (no total).
// Its filter box holds the folder path; what follows it filters, 400 ms after the last key.
// Its release build strips the `data-test-*` attributes, so these are classes and links.
function openbaoSide(addr: string): Side {
  return {
    name: "OpenBao UI",
    listUrl: `${addr}/ui/vault/secrets/big/list/many/`,
    listRequest: /\/v1\/big\/many\/\?(.*&)?list=true/,
    anyRow: ".list-item-row",
    row: (key) => `.list-item-row a[href*="${key}"]`,
    filter: ".navigate-filter input",
    emptyFilter: "many/",
    logIn: (page, token) => logInToOpenbao(page, addr, token),
  };
}

type Cell = number | string | undefined;

interface Row {
  metric: string;
  deck: Cell;
  bao: Cell;
  unit: "ms" | "s" | "MB" | "";
  /** An upper bound for Vaultdeck's figure. */
  max?: number;
  /** False where a ratio would mislead (counts of events near zero). */
  ratio?: boolean;
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

// ---- Setup and the BFF alone ----------------------------------------------------------

/** A token that may do everything but is not `root`: OpenBao's UI keeps a root token in
 * memory only, so it would be lost on every full page load the benchmark makes. */
async function adminToken(addr: string, rootToken: string): Promise<string> {
  const policy = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }';
  await vaultOk(addr, rootToken, "POST", "sys/policies/acl/bench-admin", { policy });
  return createToken(addr, rootToken, { policies: ["bench-admin"], ttl: "2h" });
}

async function listDirect(addr: string, token: string): Promise<number> {
  const list = () => fetch(`${addr}/v1/big/many/?list=true`, { headers: { "x-vault-token": token } }).then((r) => r.text());
  return median([await timed(list), await timed(list), await timed(list)]);
}

/** The BFF's first page: cold (it LISTs, sorts and keeps the listing), kept, filtered. */
async function bffRows(appUrl: string, token: string): Promise<Row[]> {
  const login = await fetch(`${appUrl}api/session`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-requested-with": "vaultdeck" },
    body: JSON.stringify({ method: "token", token }),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  const page0 = (query: string) => fetch(`${appUrl}api/list/v1/big/many/?limit=200${query}`, { headers: { cookie } }).then((r) => r.text());
  const cold = [await timed(() => page0("&refresh=true")), await timed(() => page0("&refresh=true")), await timed(() => page0("&refresh=true"))];
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) warm.push(await timed(() => page0("")));
  const filtered: number[] = [];
  for (let i = 0; i < 20; i++) filtered.push(await timed(() => page0(`&filter=key-0${i % 10}99`)));
  return [
    { metric: "BFF first page, cold (LIST + sort + page)", deck: median(cold), bao: undefined, unit: "ms" },
    { metric: "BFF first page, listing kept", deck: median(warm), bao: undefined, unit: "ms" },
    { metric: "BFF filtered page (substring over 100,000)", deck: median(filtered), bao: undefined, unit: "ms" },
  ];
}

// ---- In the browser ---------------------------------------------------------------------

/** A context whose pages note when a row first exists, checked once a frame (so both UIs
 * are timed the same way, just before the frame that shows the rows is painted). */
async function watchedContext(browser: Browser, side: Side): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript((selector: string) => {
    const check = () => {
      if (document.querySelector(selector)) (window as any).__firstRowAt = performance.now();
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, side.anyRow);
  // Every WebAssembly memory the page instantiates, for `memory()`: asking the heap for them
  // (`Runtime.queryObjects`) stalled the renderer once the WASM was split into chunks.
  await context.addInitScript(() => {
    const memories = new Set<WebAssembly.Memory>();
    (window as any).__wasmMemories = memories;
    const note = (result: any) => {
      const exports = (result.instance ?? result).exports ?? {};
      for (const value of Object.values(exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
      return result;
    };
    const instantiate = WebAssembly.instantiate;
    const instantiateStreaming = WebAssembly.instantiateStreaming;
    (WebAssembly as any).instantiate = (...args: any[]) => (instantiate as any)(...args).then(note);
    (WebAssembly as any).instantiateStreaming = (...args: any[]) => (instantiateStreaming as any)(...args).then(note);
  });
  return context;
}

async function logInToOpenbao(page: Page, addr: string, token: string): Promise<void> {
  await page.goto(`${addr}/ui/vault/auth?with=token`);
  await page.locator('input[name="token"]').first().fill(token);
  await page.locator("#auth-submit").click();
  await page.waitForURL((url) => !url.pathname.includes("/auth"));
}

interface Arrival {
  /** From navigation start to the frame with the first rows. */
  rowsAt: number;
  /** From the LIST's answer (its last byte) to that frame. */
  afterList: number;
}

/** Loads the folder afresh and times the first rows. */
async function arrive(page: Page, side: Side): Promise<Arrival> {
  await page.goto(side.listUrl, { waitUntil: "commit" });
  try {
    await page.waitForFunction(() => (window as any).__firstRowAt !== undefined, undefined, { timeout: 60_000 });
  } catch (e) {
    const text = await page.evaluate(() => document.body?.innerText.slice(0, 400)).catch(() => "");
    throw new Error(`${side.name}: no rows at ${page.url()}; the page says: ${text}\n${e}`);
  }
  const timing = await page.evaluate((listRequest) => {
    const lists = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) => new RegExp(listRequest).test(e.name));
    // NaN, printed as such, if the request was not seen.
    return { rowsAt: (window as any).__firstRowAt as number, listEnd: lists.length ? Math.min(...lists.map((e) => e.responseEnd)) : NaN };
  }, side.listRequest.source);
  return { rowsAt: timing.rowsAt, afterList: timing.rowsAt - timing.listEnd };
}

interface Memory {
  jsHeap: number;
  wasm: number;
}

/** After a full garbage collection: the JS heap in use, and the WebAssembly memories the
 * page instantiated (Vaultdeck's Rust heap lives there, outside the JS heap). */
async function memory(page: Page): Promise<Memory> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const wasm = await page.evaluate(() => {
    const memories: Set<WebAssembly.Memory> = (window as any).__wasmMemories ?? new Set();
    return [...memories].reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
  });
  await cdp.detach();
  return { jsHeap: heap.usedSize, wasm };
}

/** Waits until the filter's result (first match on top, first key gone) or the whole folder shows. */
async function waitForList(page: Page, side: Side, filtered: boolean): Promise<void> {
  const [present, absent] = filtered ? [side.row(FIRST_MATCH), side.row(FIRST_KEY)] : [side.row(FIRST_KEY), side.row(FIRST_MATCH)];
  await page.waitForFunction(([p, a]) => document.querySelector(p) !== null && document.querySelector(a) === null, [present, absent], { timeout: 30_000 });
}

/** Each of 8 synthetic input events: its handlers and the microtasks they queue (Leptos
 * effects, Ember's render), timed until a task posted right after it runs. */
async function syntheticKeystrokes(page: Page, side: Side): Promise<number> {
  const times: number[] = await page.evaluate(
    async ({ selector, text }) => {
      const input = document.querySelector<HTMLInputElement>(selector)!;
      const nextTask = () => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = resolve;
        channel.port2.postMessage(0);
      });
      const times: number[] = [];
      for (const c of text) {
        const started = performance.now();
        input.value += c;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        await nextTask();
        times.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 40));
      }
      return times;
    },
    { selector: side.filter, text: TYPED },
  );
  await waitForList(page, side, true);
  return Math.max(...times);
}

async function clearFilter(page: Page, side: Side): Promise<void> {
  await page.locator(side.filter).first().fill(side.emptyFilter);
  await waitForList(page, side, false);
}

interface Typing {
  firstKeyToRows: number;
  lastKeyToRows: number;
  /** Key events whose duration (input to next paint) reached 16 ms, the Event Timing API's floor. */
  slowEvents: { processing: number; duration: number }[];
  longTasks: number[];
}

/** Watches, in the page, the real keys about to be typed: when they go down, the Event
 * Timing entries of key events, long tasks (≥ 50 ms), and the frame where the result shows. */
async function watchTyping(page: Page, side: Side): Promise<void> {
  await page.evaluate(
    ([present, absent]) => {
      const state = { firstKeyAt: 0, lastKeyAt: 0, rowsAt: 0, slowEvents: [] as any[], longTasks: [] as number[] };
      (window as any).__typing = state;
      document.addEventListener("keydown", (e) => {
        state.firstKeyAt ||= e.timeStamp;
        state.lastKeyAt = e.timeStamp;
      }, true);
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as any[]) {
          if (!["keydown", "keypress", "keyup", "input", "beforeinput"].includes(entry.name)) continue;
          state.slowEvents.push({ processing: entry.processingEnd - entry.processingStart, duration: entry.duration });
        }
      }).observe({ type: "event", durationThreshold: 16, buffered: false } as any);
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) state.longTasks.push(entry.duration);
      }).observe({ type: "longtask", buffered: false });
      const check = () => {
        if (state.firstKeyAt && document.querySelector(present) && !document.querySelector(absent)) state.rowsAt = performance.now();
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    },
    [side.row(FIRST_MATCH), side.row(FIRST_KEY)],
  );
}

/** Types the 8 keys, 30 ms apart, after whatever the filter holds (OpenBao's folder path). */
async function typeFilter(page: Page, side: Side): Promise<Typing> {
  const input = page.locator(side.filter).first();
  await input.click();
  await input.press("End");
  await watchTyping(page, side); // after End, so that only the 8 keys count
  await input.pressSequentially(TYPED, { delay: 30 });
  await page.waitForFunction(() => (window as any).__typing.rowsAt > 0, undefined, { timeout: 30_000 });
  // Event Timing and long task entries are delivered after the frame is painted.
  await page.waitForTimeout(1000);
  const state = await page.evaluate(() => (window as any).__typing);
  return {
    firstKeyToRows: state.rowsAt - state.firstKeyAt,
    lastKeyToRows: state.rowsAt - state.lastKeyAt,
    slowEvents: state.slowEvents,
    longTasks: state.longTasks,
  };
}

interface Measured {
  arrivals: Arrival[];
  elements: number;
  rows: number;
  memory: Memory;
  keystroke: number;
  typing: Typing;
  /** Vaultdeck only: a virtual list keeps few rows even at the folder's end. */
  rowsAtEnd?: number;
}

async function rowsAtEnd(page: Page, side: Side): Promise<number> {
  await page.getByTestId("kv-list").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.locator(side.row("key-099999")).waitFor();
  return page.locator(side.anyRow).count();
}

/** Everything after the arrivals, on the page as the last arrival left it. */
async function measureOnPage(page: Page, side: Side): Promise<Omit<Measured, "arrivals">> {
  await waitForList(page, side, false);
  await page.waitForTimeout(1000); // let late requests and renders settle
  const dom = await page.evaluate((anyRow) => ({ elements: document.getElementsByTagName("*").length, rows: document.querySelectorAll(anyRow).length }), side.anyRow);
  const mem = await memory(page);
  const keystroke = await syntheticKeystrokes(page, side);
  await clearFilter(page, side);
  const typing = await typeFilter(page, side);
  await clearFilter(page, side);
  const atEnd = side.name === "Vaultdeck" ? await rowsAtEnd(page, side) : undefined;
  return { ...dom, memory: mem, keystroke, typing, rowsAtEnd: atEnd };
}

/** The measurements as compact JSON: numbers to 0.1, each key event as its processing time. */
function rawFigures(measured: Measured): string {
  return JSON.stringify(measured, (key, value) => {
    if (key === "slowEvents") return value.map((e: { processing: number }) => e.processing);
    return typeof value === "number" ? Math.round(value * 10) / 10 : value;
  });
}

// ---- The table --------------------------------------------------------------------------

const MB = 1024 * 1024;

function slowEventCells(typing: Typing): { count: number; processing: Cell; duration: Cell } {
  const events = typing.slowEvents;
  if (events.length === 0) return { count: 0, processing: "< 16", duration: "< 16" };
  return { count: events.length, processing: Math.max(...events.map((e) => e.processing)), duration: Math.max(...events.map((e) => e.duration)) };
}

function browserRows(deck: Measured, bao: Measured): Row[] {
  const both = (metric: string, unit: Row["unit"], pick: (m: Measured) => Cell, max?: number): Row => ({ metric, deck: pick(deck), bao: pick(bao), unit, max });
  const events = { deck: slowEventCells(deck.typing), bao: slowEventCells(bao.typing) };
  const longest = (m: Measured) => (m.typing.longTasks.length ? Math.max(...m.typing.longTasks) : "none");
  return [
    both(`navigation to first rows (median of ${RUNS})`, "ms", (m) => median(m.arrivals.map((a) => a.rowsAt))),
    both("LIST answer to first rows", "ms", (m) => median(m.arrivals.map((a) => a.afterList)), 300),
    both("filter keystroke: handlers + microtasks (max of 8)", "ms", (m) => m.keystroke, 16),
    both("typing 8 keys, first key to filtered rows", "ms", (m) => m.typing.firstKeyToRows),
    both("  last key to filtered rows (debounce 150 / 400)", "ms", (m) => m.typing.lastKeyToRows),
    // 16 ms is the API's floor and one frame at 60 Hz: most key events reach it just by
    // waiting for the next paint, so the count says little; their processing says more.
    { metric: "key events reaching 16 ms (Event Timing)", deck: events.deck.count, bao: events.bao.count, unit: "", ratio: false },
    { metric: "  longest processing (handler work)", deck: events.deck.processing, bao: events.bao.processing, unit: "ms", max: 16 },
    { metric: "  longest duration (input to next paint)", deck: events.deck.duration, bao: events.bao.duration, unit: "ms" },
    { ...both("long tasks ≥ 50 ms while typing and filtering", "", (m) => m.typing.longTasks.length), ratio: false },
    both("  the longest", "ms", longest),
    both("rows in the DOM, first view", "", (m) => m.rows),
    { metric: "rows in the DOM scrolled to the end", deck: deck.rowsAtEnd, bao: "n/a (pages)", unit: "", max: 40 },
    both("all DOM elements, first view", "", (m) => m.elements),
    both("JS heap used, after GC", "MB", (m) => m.memory.jsHeap / MB),
    both("WebAssembly memory", "MB", (m) => m.memory.wasm / MB),
    both("JS heap + WebAssembly memory", "MB", (m) => (m.memory.jsHeap + m.memory.wasm) / MB),
  ];
}

function cellText(cell: Cell, unit: Row["unit"]): string {
  if (cell === undefined) return "—";
  if (typeof cell === "string") return cell;
  const digits = unit === "" ? 0 : 1;
  const number = cell.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === "" ? number : `${number} ${unit}`;
}

function ratioText(row: Row): string {
  if (row.ratio === false || typeof row.deck !== "number" || typeof row.bao !== "number" || row.bao === 0) return "";
  const ratio = row.deck / row.bao;
  return `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}×`;
}

function targetText(row: Row): string {
  if (row.max === undefined) return "";
  const met = typeof row.deck === "number" ? row.deck <= row.max : row.deck?.startsWith("<") ?? false;
  return `≤ ${row.max} ${row.unit || "rows"} ${met ? "✓" : "✗"}`;
}

const NOTES = [
  "  OpenBao UI: one LIST of the whole folder, then pages of 100 (1,000 pages) and no total shown;",
  "  Vaultdeck: the BFF LISTs and keeps the folder, the page shows the total and one scrolling list.",
  "  Timings are from navigation start / the first keydown to the first frame (rAF) with the rows.",
];

function printTable(header: string, rows: Row[]): void {
  const line = (metric: string, deck: string, bao: string, ratio: string, target: string) =>
    `  ${metric.padEnd(52)} ${deck.padStart(12)} ${bao.padStart(12)} ${ratio.padStart(8)}  ${target}`;
  const lines = rows.map((r) => line(r.metric, cellText(r.deck, r.unit), cellText(r.bao, r.unit), ratioText(r), targetText(r)));
  console.log([header, line("metric", "Vaultdeck", "OpenBao UI", "ratio", "target"), ...lines, ...NOTES, ""].join("\n"));
}

// ---- The benchmark ----------------------------------------------------------------------

async function measureBoth(browser: Browser, sides: Side[], token: string): Promise<Measured[]> {
  const contexts = await Promise.all(sides.map((side) => watchedContext(browser, side)));
  try {
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    for (let i = 0; i < sides.length; i++) await sides[i].logIn(pages[i], token);
    // Alternating, so that whatever else the machine does weighs on both alike.
    const arrivals: Arrival[][] = sides.map(() => []);
    for (let run = 0; run < RUNS; run++) {
      for (let i = 0; i < sides.length; i++) arrivals[i].push(await arrive(pages[i], sides[i]));
    }
    const measured: Measured[] = [];
    for (let i = 0; i < sides.length; i++) {
      measured.push({ arrivals: arrivals[i], ...(await measureOnPage(pages[i], sides[i])) });
      // Raw figures as they come, so that a later failure still leaves them in the log.
      console.log(`kv: ${sides[i].name} ${rawFigures(measured[i])}`);
    }
    return measured;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}

test("kv: a folder of 100,000 keys, in Vaultdeck and in OpenBao's own UI", async ({ browser }) => {
  test.skip(flavor() !== "openbao", "labvault serves no web UI of its own to compare with");
  const lab = await startVault();
  const deck = await startVaultdeck({ vaultAddr: lab.addr });
  let header = "";
  let rows: Row[] = [];
  try {
    await enableKv(lab.addr, lab.rootToken, "big", 1);
    const seedMs = await seedKeys(lab.addr, lab.rootToken, "big", "many/", COUNT);
    const directMs = await listDirect(lab.addr, lab.rootToken);
    header =
      `\nkv benchmark: ${COUNT.toLocaleString("en-US")} keys in big/many/ (KV v1), ${lab.flavor}, Chromium; both UIs log in with the same non-root token\n` +
      `  seeding through the API: ${(seedMs / 1000).toFixed(1)} s; the server's own LIST of the folder: ${directMs.toFixed(1)} ms (median of 3)`;
    rows = await bffRows(deck.url, lab.rootToken);
    const token = await adminToken(lab.addr, lab.rootToken);
    const [ours, theirs] = await measureBoth(browser, [vaultdeckSide(deck.url), openbaoSide(lab.addr)], token);
    rows.push(...browserRows(ours, theirs));
  } finally {
    await deck.stop();
    await lab.stop();
  }
  printTable(header, rows);
});
