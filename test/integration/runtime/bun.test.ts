// The same sample controller, unchanged, under Bun (from npm) against the real cluster.
import { suite } from "../../support/suite.ts";
import { connect, constants } from "node:http2";
import * as assert from "uvu/assert";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { checkSampleWorks, installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
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
  await checkSampleWorks(sample, namespace.name, "bun");
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
