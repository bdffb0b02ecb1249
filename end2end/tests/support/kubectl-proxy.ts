// Vaultdeck behind a real `kubectl proxy` and the real kube-apiserver's service proxy, the
// way an operator reaches it in a cluster:
// http://127.0.0.1:PORT/api/v1/namespaces/vault/services/vaultdeck:http/proxy/ui/
//
// The API server proxies only to an address that is not loopback and that a Pod it knows
// has, so Vaultdeck runs in a network namespace of its own, reached over a veth pair on a
// private /30, and the test cluster gets a Pod object carrying that address (it never runs:
// the cluster has no nodes), a selector-less Service, and Endpoints naming the Pod.
// Inside the namespace Vaultdeck's Vault runs too (on the namespace's own loopback), and
// the cluster's API server — which listens on the host's loopback only — is reached
// through a TCP forwarder on the host side of the veth, by the name `kubernetes`, which its
// serving certificate carries (/etc/netns/NS/hosts). Everything is undone afterwards, also
// when the test fails.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server, Socket } from "node:net";
import { join } from "node:path";
import { Cluster, kube, kubeOk as ensure } from "./cluster";
import { freePort, temporaryDir } from "./servers";
import { flavor } from "./vault";

export interface ProxiedDeck {
  /** The app as the browser reaches it through kubectl proxy, ending in `/ui/`. */
  url: string;
  /** The Vault inside the namespace: its root token, and a call to its API made in there. */
  rootToken: string;
  vaultCall(method: string, path: string, body?: unknown): any;
  output(): string;
  stop(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  return value;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A namespace, its veth pair and a /30 of 10.231.0.0/16 of its own. */
function addressing() {
  const n = 1 + Math.floor(Math.random() * 16000);
  const base = n * 4;
  const tag = n.toString(36);
  return {
    ns: `vd-${tag}`,
    host: `10.231.${Math.floor(base / 256)}.${(base % 256) + 1}`,
    inside: `10.231.${Math.floor(base / 256)}.${(base % 256) + 2}`,
    hostIf: `vdh${tag}`,
    nsIf: `vdn${tag}`,
  };
}

/** Setting up the same objects twice (a retried test) finds them there: that is fine. */
function kubeOk(cluster: Cluster, method: string, path: string, body?: unknown): Promise<any> {
  return ensure(cluster, method, path, body, { existingIsFine: true });
}

/** Pipes TCP connections from `host:port` to the API server on loopback. */
async function forwarder(host: string, target: URL): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = new Socket();
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    upstream.connect(Number(target.port), target.hostname, () => client.pipe(upstream).pipe(client));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { port, server };
}

/** Starts a child inside the namespace and waits for `ready` in its stdout. */
async function startInside(ns: string, binary: string, args: string[], env: Record<string, string>, ready: (stdout: string) => boolean, log: (line: string) => void): Promise<{ child: ChildProcess; stdout: () => string }> {
  let stdout = "";
  const child = spawn("ip", ["netns", "exec", ns, binary, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => {
    stdout += c.toString();
    log(c.toString());
  });
  child.stderr?.on("data", (c) => log(c.toString()));
  const deadline = Date.now() + 60_000;
  while (!ready(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${binary} did not start in ${ns}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, stdout: () => stdout };
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const answer = await fetch(url);
      if (answer.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url}`);
}

export async function startBehindKubectlProxy(cluster: Cluster): Promise<ProxiedDeck> {
  const net = addressing();
  const dir = temporaryDir("kubectl-proxy");
  const children: ChildProcess[] = [];
  let output = "";
  const log = (text: string) => (output += text);
  let api: { port: number; server: Server } | undefined;

  const stop = async () => {
    for (const child of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    api?.server.close();
    try {
      run("ip", ["netns", "delete", net.ns]); // takes the veth pair with it
    } catch {
      // never made
    }
    rmSync(`/etc/netns/${net.ns}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    for (const path of ["services/vaultdeck", "endpoints/vaultdeck", "pods/vaultdeck-0"]) {
      await kube(cluster, "DELETE", `/api/v1/namespaces/vault/${path}`).catch(() => undefined);
    }
  };

  try {
    // The namespace and its link to the host.
    run("ip", ["netns", "add", net.ns]);
    run("ip", ["link", "add", net.hostIf, "type", "veth", "peer", "name", net.nsIf]);
    // No IPv6 link-local addresses: the kernel adds them about two seconds after the link
    // comes up (once duplicate address detection ends), and Chromium answers any address
    // change on the host by failing its queued requests with ERR_NETWORK_CHANGED — which
    // hit the page's first chunk fetches when setting up was quick.
    run("ip", ["link", "set", net.hostIf, "addrgenmode", "none"]);
    run("ip", ["link", "set", net.nsIf, "addrgenmode", "none"]);
    run("ip", ["link", "set", net.nsIf, "netns", net.ns]);
    run("ip", ["addr", "add", `${net.host}/30`, "dev", net.hostIf]);
    run("ip", ["link", "set", net.hostIf, "up"]);
    run("ip", ["netns", "exec", net.ns, "ip", "addr", "add", `${net.inside}/30`, "dev", net.nsIf]);
    run("ip", ["netns", "exec", net.ns, "ip", "link", "set", net.nsIf, "up"]);
    run("ip", ["netns", "exec", net.ns, "ip", "link", "set", "lo", "up"]);

    // The cluster, from inside, by a name its certificate carries.
    api = await forwarder(net.host, new URL(cluster.apiUrl));
    mkdirSync(`/etc/netns/${net.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${net.ns}/hosts`, `127.0.0.1 localhost\n${net.host} kubernetes\n`);
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      readFileSync(cluster.kubeconfig, "utf8").replace(cluster.apiUrl, `https://kubernetes:${api.port}`),
    );

    // Vault and Vaultdeck inside.
    const vaultArgs = ["--flavor", flavor(), "--dev", "--root-token", "kubectl-proxy-root"];
    const vault = await startInside(net.ns, requiredEnv("TESTVAULT_BIN"), vaultArgs, { RUST_LOG: "warn" }, (s) => s.includes("\n"), log);
    children.push(vault.child);
    const ready = JSON.parse(vault.stdout().split("\n")[0]);
    const deckEnv = {
      VAULTDECK_SITE_DIR: requiredEnv("VAULTDECK_SITE_DIR"),
      VAULTDECK_LISTEN: `${net.inside}:3000`,
      VAULTDECK_DATA_DIR: join(dir, "data"),
      VAULT_ADDR: ready.url,
      KUBECONFIG: kubeconfig,
      RUST_LOG: "info",
    };
    const deck = await startInside(net.ns, requiredEnv("VAULTDECK_BIN"), [], deckEnv, () => true, log);
    children.push(deck.child);
    await waitForHttp(`http://${net.inside}:3000/ui/api/health`);

    // What the API server needs to proxy to it.
    await kubeOk(cluster, "POST", "/api/v1/namespaces", { metadata: { name: "vault" } });
    await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/serviceaccounts", { metadata: { name: "default" } });
    await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/pods", {
      metadata: { name: "vaultdeck-0" },
      spec: { automountServiceAccountToken: false, containers: [{ name: "vaultdeck", image: "vaultdeck" }] },
    });
    await kubeOk(cluster, "PATCH", "/api/v1/namespaces/vault/pods/vaultdeck-0/status", {
      status: { podIP: net.inside, podIPs: [{ ip: net.inside }] },
    });
    await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/services", {
      metadata: { name: "vaultdeck" },
      spec: { ports: [{ name: "http", port: 80, targetPort: 3000 }] },
    });
    await kubeOk(cluster, "POST", "/api/v1/namespaces/vault/endpoints", {
      metadata: { name: "vaultdeck" },
      subsets: [
        {
          addresses: [{ ip: net.inside, targetRef: { kind: "Pod", namespace: "vault", name: "vaultdeck-0" } }],
          ports: [{ name: "http", port: 3000 }],
        },
      ],
    });

    // And kubectl proxy on the host's loopback, as an operator runs it.
    const proxyPort = await freePort();
    const proxy = spawn("kubectl", ["proxy", `--port=${proxyPort}`, `--kubeconfig=${cluster.kubeconfig}`], { stdio: ["ignore", "pipe", "pipe"] });
    proxy.stdout?.on("data", (c) => log(`[kubectl] ${c}`));
    proxy.stderr?.on("data", (c) => log(`[kubectl] ${c}`));
    children.push(proxy);
    const url = `http://127.0.0.1:${proxyPort}/api/v1/namespaces/vault/services/vaultdeck:http/proxy/ui/`;
    await waitForHttp(`${url}api/health`);

    return {
      url,
      rootToken: ready.root_token,
      vaultCall: (method: string, path: string, body?: unknown) => {
        const args = ["-s", "-X", method, "-H", `X-Vault-Token: ${ready.root_token}`, `${ready.url}/v1/${path}`];
        if (body !== undefined) args.push("-d", JSON.stringify(body));
        const text = run("ip", ["netns", "exec", net.ns, "curl", ...args]);
        return text ? JSON.parse(text) : null;
      },
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${error}\n${output}`);
  }
}
