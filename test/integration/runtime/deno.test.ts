// The same sample controller, unchanged, under Deno against the real cluster.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: Deno");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let sample: SampleProcess;

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-deno");
  await installWidgetCrd(config);
  sample = await startSample({ namespace: namespace.name, identity: "deno-replica", runtime: "deno" });
});

test.after(async () => {
  await sample?.stop("SIGKILL");
  await namespace.remove();
});

test("the sample controller leads, syncs children and status, and serves health under Deno", async () => {
  await eventually("the Deno replica to lead", async () => (await sample.readyz()).leader);
  await client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name: "deno", namespace: namespace.name },
    spec: { replicas: 2, message: "from deno" },
  });
  const children = await eventually("2 ConfigMaps", async () => {
    const list = await client.list(builtinKinds.ConfigMap, { namespace: namespace.name, labelSelector: "widget=deno" });
    return list.items.length === 2 ? list.items : undefined;
  });
  assert.ok(children.every((c) => (c.data as Record<string, string>).message === "from deno"));
  const widget = await eventually("the status", async () => {
    const w = await client.get(WidgetKind, namespace.name, "deno");
    return (w.status as { configMaps?: number } | undefined)?.configMaps === 2 ? w : undefined;
  });
  assert.is((widget.status as { observedGeneration?: number }).observedGeneration, widget.metadata.generation);
  assert.is(await (await sample.get("/healthz")).text(), "ok");
  assert.ok((await sample.metric("controller_runtime_reconcile_total", { controller: "widgets" })) > 0);
  assert.is(await sample.metric("informer_cached_objects", { kind: "Widget" }), 1);
  assert.ok((await sample.metric("process_resident_memory_bytes")) > 0, "resident memory is reported under Deno too");
  assert.is(await sample.stop("SIGTERM"), 0, "SIGTERM ends it cleanly");
});

test.run();
