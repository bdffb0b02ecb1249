import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// Benchmarks measure and print; they assert nothing about time. Run by `cargo xtask bench`.
export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  timeout: 15 * 60_000,
  workers: 1,
});
