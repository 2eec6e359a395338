// The runtime loads client-node's KubeConfig without its generated API (the memory hook), yet
// a program's own client-node API classes still work: makeApiClient loads the real generated API
// on first use. Checked against a plain HTTP server on loopback standing in for the API server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadKubeConfig } from "../../../../runtime/run.ts";

test("kc.makeApiClient(CoreV1Api) works after the runtime loaded the kubeconfig", async () => {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? "");
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ apiVersion: "v1", kind: "NamespaceList", metadata: {}, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const dir = mkdtempSync(join(tmpdir(), "make-api-client-"));
  try {
    const port = (server.address() as { port: number }).port;
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    const config = await loadKubeConfig(kubeconfig);
    const { CoreV1Api } = await import("@kubernetes/client-node");
    const list = await config.makeApiClient(CoreV1Api).listNamespace();
    assert.equal(list.items, []);
    assert.equal(paths, ["/api/v1/namespaces"]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
