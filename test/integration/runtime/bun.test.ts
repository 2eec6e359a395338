// The same sample controller, unchanged, under Bun (from npm) against the real cluster.
import { suite } from "../../support/suite.ts";
import { connect, constants } from "node:http2";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: Bun");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let sample: SampleProcess;

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-bun");
  await installWidgetCrd(config);
  sample = await startSample({ namespace: namespace.name, identity: "bun-replica", runtime: "bun" });
});

test.after(async () => {
  await sample?.stop("SIGKILL");
  await namespace.remove();
});

test("the sample controller leads, syncs children and status, and serves health under Bun", async () => {
  await eventually("the Bun replica to lead", async () => (await sample.readyz()).leader);
  await client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name: "bun", namespace: namespace.name },
    spec: { replicas: 2, message: "from bun" },
  });
  const children = await eventually("2 ConfigMaps", async () => {
    const list = await client.list(builtinKinds.ConfigMap, { namespace: namespace.name, labelSelector: "widget=bun" });
    return list.items.length === 2 ? list.items : undefined;
  });
  assert.ok(children.every((c) => (c.data as Record<string, string>).message === "from bun"));
  const widget = await eventually("the status", async () => {
    const w = await client.get(WidgetKind, namespace.name, "bun");
    return (w.status as { configMaps?: number } | undefined)?.configMaps === 2 ? w : undefined;
  });
  assert.is((widget.status as { observedGeneration?: number }).observedGeneration, widget.metadata.generation);
  assert.is(await (await sample.get("/healthz")).text(), "ok");
  assert.ok((await sample.metric("controller_runtime_reconcile_total", { controller: "widgets" })) > 0);
  assert.is(await sample.metric("informer_cached_objects", { kind: "Widget" }), 1);
  assert.ok((await sample.metric("process_resident_memory_bytes")) > 0, "resident memory is reported under Bun too");
  // gRPC over HTTP/2 is refused from the start, and said so; Connect over HTTP/1.1 is served.
  assert.ok(sample.logs.some((line) => line.includes('"protocols":"gRPC-Web, Connect, HTTP/1.1"')));
  assert.ok(sample.logs.some((line) => line.includes("gRPC over HTTP/2 is not served on Bun")));
  const health = await fetch(`http://127.0.0.1:${sample.port}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(await health.json(), { status: "SERVING" });
  const session = connect(`http://127.0.0.1:${sample.port}`);
  const goaway = await new Promise<number>((resolve, reject) => {
    session.once("goaway", (code: number) => resolve(code));
    session.once("error", () => {});
    session.once("close", () => reject(new Error("closed without GOAWAY")));
  });
  session.destroy();
  assert.is(goaway, constants.NGHTTP2_HTTP_1_1_REQUIRED, "GOAWAY HTTP_1_1_REQUIRED");
  assert.is(await sample.stop("SIGTERM"), 0, "SIGTERM ends it cleanly");
});

test.run();
