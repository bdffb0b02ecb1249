// A real Kubernetes API server (etcd + kube-apiserver v1.20.2, optionally
// kube-controller-manager) on loopback, started through the `testcluster` binary, which
// prints one JSON line when the cluster is ready and stops it on SIGTERM or when its stdin
// closes (so a test run that dies takes the cluster with it).

import { ChildProcess, spawn } from "node:child_process";
import { request } from "node:https";

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

/** One call to the cluster's API as its admin (what kubectl would do for the operator). */
export async function kube(cluster: Cluster, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, cluster.apiUrl),
      {
        method,
        ca: cluster.caPem,
        headers: {
          authorization: `Bearer ${cluster.adminToken}`,
          "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json",
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** kube(), throwing on an error answer; with `existingIsFine`, 409 (already exists) is success. */
export async function kubeOk(
  cluster: Cluster,
  method: string,
  path: string,
  body?: unknown,
  options: { existingIsFine?: boolean } = {},
): Promise<any> {
  const answer = await kube(cluster, method, path, body);
  if (answer.status >= 300 && !(options.existingIsFine && answer.status === 409)) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/** What the auth method's configuration page shows as YAML: a reviewer account `vault/vault`
 * bound to system:auth-delegator. Returns a day-long token of it. */
export async function reviewerToken(cluster: Cluster): Promise<string> {
  await kubeOk(cluster, "POST", "/api/v1/namespaces", { metadata: { name: "vault" } });
  await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/serviceaccounts", { metadata: { name: "vault" } });
  await kubeOk(cluster, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    metadata: { name: "vault-tokenreview-binding" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
    subjects: [{ kind: "ServiceAccount", name: "vault", namespace: "vault" }],
  });
  const answer = await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/serviceaccounts/vault/token", { spec: { expirationSeconds: 86400 } });
  return answer.status.token;
}
