// A cluster with a proxy-url in its kubeconfig is reached through that proxy (client-node makes
// the agent), while a process without one never loads the proxy-agent packages: the runtime
// gives client-node stand-ins that load them on first use (runtime/kube/client-node/proxies.ts).
// Each case runs proxy-request.ts in a fresh process that records every file it loads.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadRecorder } from "../../support/loaded-files.ts";
import { outputOf } from "../../support/process.ts";
import { testKubeConfig } from "../../support/kube.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "proxy-test-"));
const servers: Server[] = [];
test.after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** A forward proxy that tunnels CONNECT requests and records their targets. */
async function connectProxy(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createServer((_request, response) => response.writeHead(405).end());
  server.on("connect", (request, client, head) => {
    tunnels.push(request.url ?? "");
    const [host, port] = (request.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

/** Runs one request with a kubeconfig (the test cluster's, its cluster given proxyUrl when set). */
async function requestWith(proxyUrl?: string): Promise<{ answer: Record<string, string>; loaded: string[] }> {
  const config = testKubeConfig();
  const cluster = config.getCurrentCluster()!;
  if (proxyUrl) config.clusters = config.clusters.map((each) => each === cluster ? { ...each, proxyUrl } : each);
  const name = proxyUrl ? "proxied" : "direct";
  const kubeconfig = join(scratch, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, config.exportConfig(), { mode: 0o600 });
  const recorder = loadRecorder(scratch, name);
  const child = spawn(process.execPath, [
    ...recorder.nodeArgs,
    join(import.meta.dirname, "proxy-request.ts"),
    kubeconfig,
  ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const output = outputOf(child);
  const [code] = await once(child, "close");
  assert.is(code, 0, output.text());
  const answer = JSON.parse(output.text().split("\n").findLast((line) => line.startsWith("{")) ?? "null");
  return { answer, loaded: recorder.loaded() };
}

const proxyPackages = /^node_modules\/(socks|socks-proxy-agent|hpagent|undici)\//;

test("without a proxy-url, no proxy-agent package (nor undici) is loaded", async () => {
  const { answer, loaded } = await requestWith();
  assert.equal(answer, { kind: "NamespaceList" });
  assert.ok(loaded.some((file) => file.endsWith("client-node/dist/config.js")), "client-node's config was loaded");
  assert.equal(loaded.filter((file) => proxyPackages.test(file)), []);
});

test("with a proxy-url, requests go through the proxy (client-node's HTTPS proxy agent)", async () => {
  const proxy = await connectProxy();
  const { answer, loaded } = await requestWith(proxy.url);
  assert.equal(answer, { kind: "NamespaceList" });
  const server = new URL(testKubeConfig().getCurrentCluster()!.server);
  assert.ok(proxy.tunnels.length >= 1, "the proxy tunnelled the request");
  assert.ok(proxy.tunnels.every((target) => target === server.host), proxy.tunnels.join(", "));
  assert.ok(loaded.some((file) => file.startsWith("node_modules/hpagent/")), "hpagent was loaded on first use");
});

test.run();
