// The second listener for upstream's --metrics-address: GET /metrics from the registry, 404 for
// anything else, a clear failure when the port is taken, and a close that frees the port.
import { createServer } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { serveMetrics } from "../../../../functions/metacontroller/metrics-listener.ts";

const source = {
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  metrics: async () => "controller_runtime_reconcile_total 3\n",
};

test("serves GET /metrics from the source, and nothing else", async () => {
  const listener = await serveMetrics({ host: "127.0.0.1", port: 0 }, source);
  try {
    const metrics = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
    assert.is(metrics.status, 200);
    assert.is(metrics.headers.get("content-type"), source.contentType);
    assert.is(await metrics.text(), "controller_runtime_reconcile_total 3\n");
    assert.is((await fetch(`http://127.0.0.1:${listener.port}/metrics?name=x`)).status, 200);
    const other = await fetch(`http://127.0.0.1:${listener.port}/healthz`);
    assert.is(other.status, 404);
    await other.text();
    const post = await fetch(`http://127.0.0.1:${listener.port}/metrics`, { method: "POST" });
    assert.is(post.status, 404);
    await post.text();
  } finally {
    await listener.close();
  }
});

test("a source that fails gives 500 with its message", async () => {
  const listener = await serveMetrics({ host: "127.0.0.1", port: 0 }, {
    contentType: "text/plain",
    metrics: () => Promise.reject(new Error("registry gone")),
  });
  try {
    const response = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
    assert.is(response.status, 500);
    assert.is(await response.text(), "registry gone\n");
  } finally {
    await listener.close();
  }
});

test("a port that is taken is an error; after close the port is free again", async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const taken = (holder.address() as { port: number }).port;
  try {
    let error: unknown;
    await serveMetrics({ host: "127.0.0.1", port: taken }, source).catch((e) => (error = e));
    assert.is((error as { code?: string })?.code, "EADDRINUSE", String(error));
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
  const first = await serveMetrics({ host: "127.0.0.1", port: 0 }, source);
  const port = first.port;
  await first.close();
  const again = await serveMetrics({ host: "127.0.0.1", port }, source);
  assert.is(again.port, port);
  await again.close();
});

test.run();
