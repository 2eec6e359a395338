// The same sample controller, unchanged, under Deno against the real cluster.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { checkSampleWorks, installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
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
  await checkSampleWorks(sample, namespace.name, "deno");
  assert.is(await sample.stop("SIGTERM"), 0, "SIGTERM ends it cleanly");
});

test.run();
