// The runtime's Event recorder against the real API server: Events are sent one at a time, in
// the order they were recorded, so that a burst of them does not compete with the writes of
// children; and those still waiting when the replica stops leading are not sent.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds, type Kind } from "../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../runtime/kube/objects.ts";
import { ApiEventRecorder, maxQueuedEvents } from "../../../runtime/events.ts";
import { createLogger, silentLogger } from "../../../runtime/log.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: events");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;

/** The real client, counting the creates it has in flight at once. */
class CountingClient extends KubeClient {
  inFlight = 0;
  mostInFlight = 0;
  override async create<T extends KubeObject>(kind: Kind, object: T): Promise<T> {
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    try {
      return await super.create(kind, object);
    } finally {
      this.inFlight--;
    }
  }
}

const parent = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: namespace.name, uid: `uid-${name}` },
});
const notes = async (name: string) =>
  (await client.list(builtinKinds.Event, { namespace: namespace.name })).items
    .filter((event) => (event as { regarding?: { name?: string } }).regarding?.name === name)
    // Created in this order: etcd's revisions grow with each write.
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((event) => (event as { note?: string }).note);

/** A recorder on a counting client, and a burst of `count` Events about one object. */
const burst = (object: string, count: number, canWrite: () => boolean) => {
  const counting = new CountingClient(config);
  const recorder = new ApiEventRecorder({
    client: counting,
    controller: "events-test",
    instance: `events-test-${object}`,
    log: silentLogger,
    canWrite,
  });
  for (let n = 1; n <= count; n++) recorder.record(parent(object), "Normal", "Counted", "Count", `event ${n}`);
  return { counting, recorder };
};

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-events");
});

test.after(async () => {
  await namespace.remove();
});

test("a burst of Events is sent one at a time, in the order recorded", async () => {
  const { counting, recorder } = burst("burst", 20, () => true);
  assert.ok(recorder.queued >= 19, `${recorder.queued} waiting right after recording`);
  await eventually("every Event sent", async () => recorder.queued === 0 && counting.inFlight === 0);
  assert.is(counting.mostInFlight, 1, "one create in flight at most");
  const sent = await notes("burst");
  assert.equal(sent, Array.from({ length: 20 }, (_, i) => `event ${i + 1}`));
});

test("Events still waiting when the replica stops leading are not sent", async () => {
  let leading = true;
  const { counting, recorder } = burst("deposed", 10, () => leading);
  // The first is on its way; the rest wait for it.
  leading = false;
  await eventually("the queue emptied", async () => recorder.queued === 0 && counting.inFlight === 0);
  assert.equal(await notes("deposed"), ["event 1"], "only the Event already sent got through");
  recorder.record(parent("deposed"), "Normal", "Counted", "Count", "after");
  assert.is(recorder.queued, 0, "nothing is queued while not leading");
});

test("beyond 1000 waiting Events new ones are dropped, with one warning, and counted once one fits", async () => {
  let leading = true;
  const warnings: Array<{ msg: string; dropped?: number }> = [];
  const recorder = new ApiEventRecorder({
    client,
    controller: "events-test",
    instance: "events-test-full",
    log: createLogger("warn", {}, (line) => warnings.push(JSON.parse(line))),
    canWrite: () => leading,
  });
  // One Event per object: the per-object burst (25) does not stop them first.
  const total = maxQueuedEvents + 11;
  for (let n = 0; n < total; n++) recorder.record(parent(`full-${n}`), "Normal", "Counted", "Count", `event ${n}`);
  assert.is(recorder.queued, maxQueuedEvents, "the first is in flight; 1000 wait; 10 were dropped");
  assert.equal(warnings.map((w) => w.msg), ["too many Events waiting to be sent; dropping new ones"]);
  leading = false;
  await eventually("the waiting Events dropped", async () => recorder.queued === 0);
  leading = true;
  recorder.record(parent("full-after"), "Normal", "Counted", "Count", "after");
  assert.equal(warnings[1], {
    ...warnings[1]!,
    msg: "Events were dropped while too many waited to be sent",
    dropped: 10,
  });
});

test.run();
