// The Vault a browser test runs against — a real OpenBao 2.7 or labvault, as
// VAULTDECK_TEST_VAULT says (`cargo xtask test` runs the whole suite once with each) —
// started through the `testvault` binary, which prints one JSON line when the server is
// ready and stops it when told to or when its stdin closes. And small helpers to call
// Vault's API directly, as an operator's CLI would, to set up a test.

import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { startVaultdeck, Vaultdeck, VaultdeckOptions } from "./servers";

export type Flavor = "openbao" | "labvault";

/** The server this run tests against. */
export function flavor(): Flavor {
  const named = process.env.VAULTDECK_TEST_VAULT ?? "openbao";
  if (named !== "openbao" && named !== "labvault") throw new Error(`VAULTDECK_TEST_VAULT=${named}: expected openbao or labvault`);
  return named;
}

export interface TestVault {
  flavor: Flavor;
  addr: string;
  /** Dev servers only: the root token and the single unseal key. */
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

/**
 * A dev server (initialized with one key share, unsealed, `secret/` as KV v2) or, with
 * `fresh`, an uninitialized and sealed one, like `vault-0` just after a Helm install.
 */
export async function startVault(options: { fresh?: boolean } = {}): Promise<TestVault> {
  const args = ["--flavor", flavor()];
  if (!options.fresh) args.push("--dev", "--root-token", `devroot${randomBytes(12).toString("hex")}`);
  const child: ChildProcess = spawn(requiredEnv("TESTVAULT_BIN"), args, {
    env: { ...process.env, RUST_LOG: "warn" },
    // stdin stays an open pipe: testvault stops when it closes.
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes("\n")) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`testvault did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(stdout.slice(0, stdout.indexOf("\n")));
  return {
    flavor: ready.flavor,
    addr: ready.url,
    rootToken: ready.root_token ?? "",
    unsealKey: ready.unseal_keys?.[0] ?? "",
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    },
  };
}

/**
 * Vaultdeck in front of a Vault that has never been initialized: with labvault, the one
 * Vaultdeck embeds when no VAULT_ADDR is set (the zero-install default); with OpenBao, a
 * fresh raft server.
 */
export async function startDeckOnFreshVault(options: VaultdeckOptions = {}): Promise<{ deck: Vaultdeck; stop(): Promise<void> }> {
  if (flavor() === "labvault") {
    const deck = await startVaultdeck(options);
    return { deck, stop: () => deck.stop() };
  }
  const vault = await startVault({ fresh: true });
  const deck = await startVaultdeck({ ...options, vaultAddr: vault.addr });
  return {
    deck,
    stop: async () => {
      await deck.stop();
      await vault.stop();
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

/** Mounts KV at `path` and waits until it serves. A new KV v2 mount on OpenBao answers 400
 * "Upgrading from non-versioned to versioned data…" until the upgrade step it runs in the
 * background is done (the plugin wraps every path in `upgradeCheck`); its `config` answers
 * 200 once it is. labvault has no such window. */
export async function enableKv(addr: string, token: string, path: string, version: 1 | 2): Promise<void> {
  await vaultOk(addr, token, "POST", `sys/mounts/${path}`, { type: "kv", options: { version: String(version) } });
  if (version === 1) return;
  const deadline = Date.now() + 10_000;
  while ((await vault(addr, token, "GET", `${path}/config`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`the KV v2 mount ${path} was not ready within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function createToken(addr: string, rootToken: string, params: Record<string, unknown>): Promise<string> {
  const body = await vaultOk(addr, rootToken, "POST", "auth/token/create", params);
  return body.auth.client_token;
}

/** What Vault calls the token (`display_name`), as the session menu shows it. */
export async function displayName(addr: string, token: string): Promise<string> {
  return (await vaultOk(addr, token, "GET", "auth/token/lookup-self")).data.display_name;
}

/** Enables userpass (if needed) and creates a user with the given policies. */
export async function createUser(addr: string, rootToken: string, name: string, password: string, policies: string[]): Promise<void> {
  const auth = await vaultOk(addr, rootToken, "GET", "sys/auth");
  if (!auth.data["userpass/"]) {
    await vaultOk(addr, rootToken, "POST", "sys/auth/userpass", { type: "userpass" });
  }
  await vaultOk(addr, rootToken, "POST", `auth/userpass/users/${name}`, { password, token_policies: policies });
}
