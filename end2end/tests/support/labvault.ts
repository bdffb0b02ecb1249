// A labvault process, as a separate Vault the way a real deployment has one, and small
// helpers to call Vault's API directly (as an operator's CLI would) to set up a test.

import { ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { freePort, temporaryDir } from "./servers";

export interface Labvault {
  addr: string;
  /** Dev mode only: the root token and the single unseal key. */
  rootToken: string;
  unsealKey: string;
  output(): string;
  stop(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  return value;
}

/** `labvault server --dev`: initialized with one key share, unsealed, `secret/` as KV v2. */
export async function startLabvault(): Promise<Labvault> {
  const port = await freePort();
  const dataDir = temporaryDir("labvault");
  let output = "";
  const child: ChildProcess = spawn(requiredEnv("LABVAULT_BIN"), ["server", "--dev", "--listen", `127.0.0.1:${port}`], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Root Token: (\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`labvault did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const rootToken = output.match(/Root Token: (\S+)/)![1];
  const unsealKey = output.match(/Unseal Key: (\S+)/)![1];
  return {
    addr: `http://127.0.0.1:${port}`,
    rootToken,
    unsealKey,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface VaultAnswer {
  status: number;
  body: any;
}

/** One call to Vault's API. */
export async function vault(addr: string, token: string | null, method: string, path: string, body?: unknown): Promise<VaultAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers["x-vault-token"] = token;
  const response = await fetch(`${addr}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Like `vault`, but fails the test on a non-2xx answer. */
export async function vaultOk(addr: string, token: string | null, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await vault(addr, token, method, path, body);
  if (answer.status >= 300) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

export async function createToken(addr: string, rootToken: string, params: Record<string, unknown>): Promise<string> {
  const body = await vaultOk(addr, rootToken, "POST", "auth/token/create", params);
  return body.auth.client_token;
}

/** Enables userpass (if needed) and creates a user with the given policies. */
export async function createUser(addr: string, rootToken: string, name: string, password: string, policies: string[]): Promise<void> {
  const auth = await vaultOk(addr, rootToken, "GET", "sys/auth");
  if (!auth.data["userpass/"]) {
    await vaultOk(addr, rootToken, "POST", "sys/auth/userpass", { type: "userpass" });
  }
  await vaultOk(addr, rootToken, "POST", `auth/userpass/users/${name}`, { password, token_policies: policies });
}
