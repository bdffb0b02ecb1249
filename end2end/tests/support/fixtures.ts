// The `test` every spec uses: Playwright's, with every page watched for uncaught errors. A
// panic in the WebAssembly (or any uncaught exception) fails the test that caused it, even
// when the page still looks right.

import { Browser, BrowserContext, expect, Page, test as base } from "@playwright/test";

const seen = new WeakSet<Page>();

/** Starts collecting a page's uncaught errors (`pageerror`) and console errors. */
export function watchPage(page: Page, errors: string[]): void {
  if (seen.has(page)) return;
  seen.add(page);
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    // A Rust panic is logged by console_error_panic_hook before the page error.
    if (message.type() === "error" && /panicked at|RuntimeError/.test(message.text())) {
      errors.push(`console: ${message.text()}`);
    }
  });
}

function watchContext(context: BrowserContext, errors: string[]): void {
  context.pages().forEach((page) => watchPage(page, errors));
  context.on("page", (page) => watchPage(page, errors));
}

export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ context, browser }: { context: BrowserContext; browser: Browser }, use: (errors: string[]) => Promise<void>) => {
      const errors: string[] = [];
      watchContext(context, errors);
      // Contexts a test opens itself (two users in one test) are watched too.
      const onContext = (extra: BrowserContext) => watchContext(extra, errors);
      const original = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const extra = await original(...args);
        onContext(extra);
        return extra;
      };
      await use(errors);
      browser.newContext = original;
      expect(errors, "uncaught errors in the page").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
export type { Browser, BrowserContext, Page } from "@playwright/test";
