// Steps many browser tests share.

import { expect, Page } from "@playwright/test";
import { join } from "node:path";

/** Logs in with a token on the login page and waits until the session menu shows. */
export async function logInWithToken(page: Page, appUrl: string, token: string): Promise<void> {
  await page.goto(`${appUrl}login`);
  // The login page runs no code: its form posts itself, and the next page brings the app.
  await page.getByTestId("login-first").fill(token);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("session-user")).toBeVisible();
}

/** With VAULTDECK_SCREENSHOTS_DIR set (`cargo xtask screenshots`), saves the page for the README. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.VAULTDECK_SCREENSHOTS_DIR;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
