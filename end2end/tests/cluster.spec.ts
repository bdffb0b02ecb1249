// The Kubernetes test cluster itself: a real API server that later suites run against.

import { expect, test } from "./support/fixtures";
import { request as httpsRequest } from "node:https";
import { Cluster, startCluster } from "./support/cluster";

/** GET with the admin token, trusting only the cluster's CA. */
function getJson(cluster: Cluster, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${cluster.apiUrl}${path}`,
      { ca: cluster.caPem, headers: { authorization: `Bearer ${cluster.adminToken}` } },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch (error) {
            reject(new Error(`${path} answered ${res.statusCode}: ${text}`));
          }
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test.describe("the test cluster", () => {
  let cluster: Cluster;

  test.beforeAll(async () => {
    test.setTimeout(150_000);
    cluster = await startCluster();
  });
  test.afterAll(async () => cluster?.stop());

  test("serves Kubernetes v1.20.2 over TLS signed by its CA", async () => {
    const answer = await getJson(cluster, "/version");
    expect(answer.status).toBe(200);
    expect(answer.body.gitVersion).toBe("v1.20.2");
  });
});
