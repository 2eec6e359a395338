// The hook server on node:http (nodeHookListener, what `kubefn hooks` runs on Node and Bun)
// answers every request exactly as the web-standard handler does (hookHandler, which the fuzz
// test checks in depth): the same status, content type and body, over a real loopback
// connection. What only the Node path does is checked on its own: reading the body (limits,
// a caller that hangs up half way) and the metrics it shares with the Hono app.
import { createServer, request as httpRequest, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { controllers } from "../../../../functions/atomix-controller/controllers.ts";
import { controller } from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import { hookHandler } from "../../../../runtime/hook-server/handler.ts";
import { HookMetrics } from "../../../../runtime/hook-server/metrics.ts";
import { nodeHookListener } from "../../../../runtime/hook-server/node.ts";
import { BodyMaker } from "../../../support/fuzz-bodies.ts";

const maxBodyBytes = 64 * 1024;
const widgets = kind("example.com/v1", "Widget", "widgets");
const throwing = controller({
  name: "throws",
  parent: widgets,
  children: [builtinKinds.ConfigMap],
  sync: () => {
    throw new Error("no widgets today");
  },
});
const definitions = [...controllers, throwing];
const servers: Server[] = [];
test.after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** The same definitions behind both transports, each with metrics of its own. */
async function serveBoth() {
  const options = { maxBodyBytes, metrics: new HookMetrics() };
  const app = hookHandler(definitions, options);
  const server = createServer(nodeHookListener(definitions, app, options));
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const webOptions = { maxBodyBytes, metrics: new HookMetrics() };
  return { port, web: hookHandler(definitions, webOptions), metrics: options.metrics };
}

type Answer = { status: number; type: string | null; body: string };

async function overHttp(port: number, method: string, path: string, body?: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, body });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

async function inProcess(app: ReturnType<typeof hookHandler>, method: string, path: string, body?: string) {
  const response = await app.fetch(new Request(`http://hooks${path}`, { method, body }));
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

const group = {
  apiVersion: "k8s.atomix.io/v1alpha1",
  kind: "PartitionGroup",
  metadata: { name: "g", namespace: "ns", uid: "g-uid", generation: 1 },
  spec: { partitions: 2, partitionSize: 1, raft: {} },
};
const valid = JSON.stringify({ controller: {}, parent: group, children: {}, related: {}, finalizing: false });

test("every hook request is answered as the web-standard handler answers it", async () => {
  const { port, web } = await serveBoth();
  const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "ns", uid: "w" } };
  const cases: Array<[string, string, string?]> = [
    ["POST", "/partition-groups/sync", valid],
    ["POST", "/partition-groups/sync?x=1", valid],
    ["POST", "/partition-groups/customize", valid],
    ["POST", "/partition-groups/finalize", valid],
    ["POST", "/partition-groups/sync", "{"],
    ["POST", "/partition-groups/sync", "[]"],
    ["POST", "/partition-groups/sync", ""],
    ["POST", "/partition-groups/sync", JSON.stringify({ parent: { ...group, kind: "Partition" } })],
    ["POST", "/partition-groups/sync", "[".repeat(1_500) + "]".repeat(1_500)],
    ["POST", "/partitions/sync", JSON.stringify({ parent: group })],
    ["POST", "/throws/sync", JSON.stringify({ parent: widget, children: {}, related: {} })],
    ["POST", "/no-such/sync", valid],
    ["POST", "/partition-groups/sync/", valid],
    ["POST", "/sync", valid],
    ["GET", "/partition-groups/sync"],
    ["PUT", "/partition-groups/sync", valid],
    ["GET", "/healthz"],
    ["GET", "/nowhere"],
  ];
  // And mutated requests, as the fuzz test makes them.
  const maker = new BodyMaker(20261206);
  for (let i = 0; i < 300; i++) {
    const { data } = maker.json([valid]);
    cases.push(["POST", "/partition-groups/sync", new TextDecoder().decode(data)]);
  }
  for (const [method, path, body] of cases) {
    const [node, expected] = [await overHttp(port, method, path, body), await inProcess(web, method, path, body)];
    assert.equal(node, expected, `${method} ${path} ${body?.slice(0, 80)}`);
  }
});

/** Sends a body in chunks (no content-length unless given) and returns the status, or the error. */
function sendChunked(port: number, chunks: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status?: number; body?: string; error?: string; connection?: string }>((resolve) => {
    const request = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/partition-groups/sync", headers });
    request.on("response", async (response) => {
      let body = "";
      for await (const chunk of response) body += chunk;
      resolve({ status: response.statusCode, body, connection: response.headers.connection });
    });
    request.on("error", (error) => resolve({ error: error.message }));
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

test("a body over the limit is refused 413, unread when content-length says so, and the connection closed", async () => {
  const { port } = await serveBoth();
  const declared = await sendChunked(port, ["{}"], { "content-length": String(maxBodyBytes + 1) });
  assert.is(declared.status, 413, JSON.stringify(declared));
  assert.equal(JSON.parse(declared.body!), { error: `request body is larger than ${maxBodyBytes} bytes` });
  assert.is(declared.connection, "close");
  const streamed = await sendChunked(port, ['{"pad": "', "x".repeat(maxBodyBytes), '"}']);
  // The server may close before the whole body is sent; when the answer arrives, it is the 413.
  if (streamed.status !== undefined) assert.is(streamed.status, 413, JSON.stringify(streamed));
  else assert.match(streamed.error!, /EPIPE|ECONNRESET|socket hang up/);
  assert.is((await overHttp(port, "POST", "/partition-groups/sync", valid)).status, 200, "the server still serves");
});

test("a caller that hangs up half way through its body leaves nothing in flight, and the server serving", async () => {
  const { port, metrics } = await serveBoth();
  const request = httpRequest({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/partition-groups/sync",
    headers: { "content-length": "1000" },
  });
  request.on("error", () => undefined);
  request.write('{"parent": ');
  await new Promise((resolve) => setTimeout(resolve, 100));
  request.destroy();
  const inFlight = async () =>
    /metacontroller_sync_in_flight_requests\{[^}]*\} (\S+)/.exec(await metrics.registry.metrics())?.[1];
  for (let i = 0; i < 50 && (await inFlight()) !== "0"; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(await inFlight(), "0");
  assert.match(await metrics.registry.metrics(), /metacontroller_sync_requests_total\{[^}]*code="400"[^}]*\} 1/);
  assert.is((await overHttp(port, "POST", "/partition-groups/sync", valid)).status, 200);
});

test("hook requests served on the Node path are counted in the metrics the Hono app serves", async () => {
  const { port } = await serveBoth();
  await overHttp(port, "POST", "/partition-groups/sync", valid);
  await overHttp(port, "POST", "/partition-groups/sync", "{");
  const exposition = (await overHttp(port, "GET", "/metrics")).body;
  assert.match(exposition, /metacontroller_sync_requests_total\{[^}]*code="200"[^}]*\} 1/);
  assert.match(exposition, /metacontroller_sync_requests_total\{[^}]*code="400"[^}]*\} 1/);
});

test.run();
