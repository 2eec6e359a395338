// A watch on a kind nobody changes goes quiet; the watcher resumes it from where it was, says
// so at debug level only (an idle cluster's log stays empty at info), names the kind by
// apiVersion and kind, and misses no change that comes later.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Informer } from "../../../runtime/cache/informer.ts";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { createLogger } from "../../../runtime/log.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";

test("a quiet watch is resumed at debug level, named by apiVersion and kind, and loses nothing", async () => {
  const config = testKubeConfig();
  const client = new KubeClient(config);
  const { name: namespace, remove } = await freshNamespace(config, "quiet-watch");
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger("debug", {}, (line) => lines.push(JSON.parse(line)));
  const restarts: string[] = [];
  const informer = new Informer({
    kind: builtinKinds.ConfigMap,
    client,
    log,
    namespaces: [namespace],
    inactivityTimeoutMs: 1_000,
    onRestart: (reason) => restarts.push(reason),
  });
  informer.start();
  try {
    await informer.synced;
    await eventually("two quiet restarts", () => restarts.filter((reason) => reason === "inactive").length >= 2, {
      timeoutMs: 20_000,
    });
    const quiet = lines.filter((line) => line.msg === "watch went quiet; resuming it");
    assert.ok(quiet.length >= 2, JSON.stringify(lines));
    for (const line of quiet) {
      assert.is(line.level, "debug");
      assert.equal([line.apiVersion, line.kind, line.namespace], ["v1", "ConfigMap", namespace]);
    }
    assert.equal(lines.filter((line) => line.level !== "debug"), [], "nothing above debug while idle");
    assert.equal(restarts.filter((reason) => reason === "list"), ["list"], "resumed, never listed again");
    await client.create(builtinKinds.ConfigMap, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "after-quiet", namespace },
      data: { a: "b" },
    });
    await eventually(
      "the change after the quiet spell to reach the cache",
      () => informer.get(`${namespace}/after-quiet`) !== undefined,
    );
  } finally {
    await informer.stop();
    await remove();
  }
});

test.run();
