// A real Kubernetes API server (etcd + kube-apiserver v1.20.2, optionally
// kube-controller-manager) on loopback, started through the `testcluster` binary, which
// prints one JSON line when the cluster is ready and stops it on SIGTERM or when its stdin
// closes (so a test run that dies takes the cluster with it).

import { ChildProcess, spawn } from "node:child_process";

export interface Cluster {
  /** e.g. https://127.0.0.1:41234 */
  apiUrl: string;
  /** The cluster CA's certificate (PEM): pass it as `ca` to node:https. */
  caPem: string;
  /** A bearer token of a user in `system:masters`. */
  adminToken: string;
  /** Path of a kubeconfig for that admin. */
  kubeconfig: string;
  /** Everything testcluster printed on stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  return value;
}

/** `testcluster up [--controller-manager]`; resolves once the API server is ready. */
export async function startCluster(options: { controllerManager?: boolean } = {}): Promise<Cluster> {
  const args = ["up"];
  if (options.controllerManager) args.push("--controller-manager");
  const child: ChildProcess = spawn(requiredEnv("TESTCLUSTER_BIN"), args, {
    // stdin stays an open pipe: testcluster stops when it closes.
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout?.on("data", (chunk) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  while (!stdout.includes("\n")) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`testcluster did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(stdout.slice(0, stdout.indexOf("\n")));
  return {
    apiUrl: ready.api_url,
    caPem: ready.ca_pem,
    adminToken: ready.admin_token,
    kubeconfig: ready.kubeconfig,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      child.stdin?.destroy();
    },
  };
}
