// Starting and stopping the real processes a test needs: vaultdeck (and labvault), each on
// a free loopback port with its own data directory, stopped when the test file is done.

import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Running {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface Vaultdeck extends Running {
  /** The app's URL, e.g. http://127.0.0.1:41234/ui/ */
  url: string;
  basePath: string;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  }
  return value;
}

/** The built site the tests serve (`cargo xtask build`'s output). */
export function siteDir(): string {
  return requiredEnv("VAULTDECK_SITE_DIR");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function temporaryDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vaultdeck-e2e-${prefix}-`));
}

function startProcess(binary: string, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(binary, args, {
    env: { ...process.env, RUST_LOG: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`process exited with ${child.exitCode} before answering ${url}:\n${output()}`);
    }
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${url} within 30 s:\n${output()}`);
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    cleanup();
  };
}

/**
 * Test logins for Kubernetes roles without an audience, as a lab allows them: the course's
 * roles, like Vault's tutorials', have none. Vaultdeck refuses them by default (see the
 * test in kubernetes.spec.ts).
 */
export const LAB_CHECKS = { VAULTDECK_TEST_LOGINS_WITHOUT_AUDIENCE: "true" };

export interface VaultdeckOptions {
  /** Vault's address; without it vaultdeck starts its embedded labvault. */
  vaultAddr?: string;
  basePath?: string;
  env?: Record<string, string>;
}

export async function startVaultdeck(options: VaultdeckOptions = {}): Promise<Vaultdeck> {
  const port = await freePort();
  const dataDir = temporaryDir("vaultdeck");
  const basePath = options.basePath ?? "/ui";
  const env: Record<string, string> = {
    VAULTDECK_SITE_DIR: siteDir(),
    VAULTDECK_LISTEN: `127.0.0.1:${port}`,
    VAULTDECK_BASE_PATH: basePath,
    VAULTDECK_DATA_DIR: dataDir,
    ...(options.env ?? {}),
  };
  if (options.vaultAddr) env.VAULT_ADDR = options.vaultAddr;
  const { child, output } = startProcess(requiredEnv("VAULTDECK_BIN"), [], env);
  const origin = `http://127.0.0.1:${port}`;
  const prefix = basePath === "/" ? "" : basePath;
  await waitUntilAnswering(`${origin}${prefix}/api/health`, child, output);
  return {
    origin,
    url: `${origin}${prefix}/`,
    basePath: prefix,
    output,
    stop: stopper(child, () => rmSync(dataDir, { recursive: true, force: true })),
  };
}
