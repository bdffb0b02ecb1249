// A small reverse proxy that puts vaultdeck under an unknown path prefix, as `kubectl proxy`
// and many Ingresses do. In "kubectl" mode it behaves like the API server's service proxy:
// strips the prefix, and rewrites absolute links inside HTML (and redirect Locations) — not
// URLs built by scripts or fetch. In "forwarded-prefix" mode it only strips the prefix and
// tells the server with `X-Forwarded-Prefix`, as an Ingress with a rewrite does.

import { createServer, request, Server } from "node:http";
import { AddressInfo } from "node:net";

export const KUBECTL_PREFIX = "/api/v1/namespaces/vault/services/vaultdeck:http/proxy";

export interface PrefixProxy {
  origin: string;
  prefix: string;
  stop(): Promise<void>;
}

type Mode = "kubectl" | "forwarded-prefix";

function rewriteHtmlLinks(html: string, prefix: string): string {
  return html.replace(/\b(href|src|action)="\/(?!\/)/g, `$1="${prefix}/`);
}

export async function startPrefixProxy(target: string, mode: Mode, prefix = KUBECTL_PREFIX): Promise<PrefixProxy> {
  const upstream = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    const url = incoming.url ?? "/";
    if (!url.startsWith(prefix + "/") && url !== prefix) {
      outgoing.writeHead(404, { "content-type": "text/plain" }).end("outside the proxied prefix");
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...incoming.headers, host: upstream.host, "accept-encoding": "identity" };
    if (mode === "forwarded-prefix") headers["x-forwarded-prefix"] = prefix;
    const forwarded = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: url.slice(prefix.length) || "/",
        headers,
      },
      (answer) => {
        const responseHeaders = { ...answer.headers };
        const location = responseHeaders.location;
        if (mode === "kubectl" && typeof location === "string" && location.startsWith("/")) {
          responseHeaders.location = prefix + location;
        }
        const isHtml = (answer.headers["content-type"] ?? "").includes("text/html");
        if (!(mode === "kubectl" && isHtml)) {
          outgoing.writeHead(answer.statusCode ?? 502, responseHeaders);
          answer.pipe(outgoing);
          return;
        }
        let body = "";
        answer.setEncoding("utf8");
        answer.on("data", (chunk) => (body += chunk));
        answer.on("end", () => {
          const rewritten = rewriteHtmlLinks(body, prefix);
          delete responseHeaders["content-length"];
          delete responseHeaders["transfer-encoding"];
          outgoing.writeHead(answer.statusCode ?? 502, responseHeaders);
          outgoing.end(rewritten);
        });
      },
    );
    forwarded.on("error", (error) => {
      outgoing.writeHead(502, { "content-type": "text/plain" }).end(String(error));
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    prefix,
    // close() alone waits for every open connection, and the page under test may still
    // hold one with a request in flight (its status poll): that hung a test for its
    // whole timeout. Nothing the proxy carries is worth waiting for once a test is done.
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
