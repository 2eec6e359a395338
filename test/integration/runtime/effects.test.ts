// HTTP actions against the real control plane and a real HTTP receiver on loopback: the sample's
// widget-notify controller tells the receiver once that a Widget exists, with a bearer token
// from a Secret; a missing Secret is reported and then recovered from; and with two replicas,
// the leader killed (SIGKILL) while the receiver holds its requests, every Widget's effect
// happens exactly once at a receiver that keeps its answers by Idempotency-Key.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";
import { leaseBoundMs, shortLease } from "../../support/election.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: HTTP actions");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const processes: SampleProcess[] = [];
const ns = () => namespace.name;

/**
 * An HTTP receiver as a careful one is written: it applies an effect when a request first
 * arrives with a new Idempotency-Key, and answers a key it has seen from what it recorded.
 * While `holding`, it applies but does not answer (the requests stay open).
 */
class Receiver {
  readonly deliveries = new Map<string, number>();
  readonly applied = new Set<string>();
  readonly authorizations = new Set<string>();
  readonly held: string[] = [];
  holding = false;
  #server!: Server;
  url = "";

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const key = String(req.headers["idempotency-key"]);
        this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
        this.authorizations.add(String(req.headers.authorization));
        if (req.headers.authorization !== "Bearer t0ken") return void res.writeHead(401).end("who are you?");
        this.applied.add(key);
        if (this.holding) return void this.held.push(key);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ key }));
      });
    });
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/events`;
  }

  sentTwice(): string[] {
    return [...this.deliveries].filter(([, count]) => count > 1).map(([key]) => key);
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const receiver = new Receiver();

const createWidget = (name: string, notify: { url: string; secret?: string }) =>
  client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name, namespace: ns() },
    spec: { replicas: 0, notify },
  });
const statusOf = async (name: string) =>
  ((await client.get(WidgetKind, ns(), name)) as { status?: Record<string, unknown> }).status ?? {};
/** The Events about a Widget with a reason (events.k8s.io/v1, as the runtime records them). */
const eventsOf = async (name: string, reason: string) =>
  (await client.list(builtinKinds.Event, { namespace: ns() })).items.filter((event) =>
    (event as { regarding?: { name?: string } }).regarding?.name === name &&
    (event as { reason?: string }).reason === reason
  );
const createSecret = (name: string) =>
  client.create(builtinKinds.Secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns() },
    stringData: { Authorization: "Bearer t0ken" },
  } as never);

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-effects");
  await installWidgetCrd(config);
  await receiver.start();
});

test.after(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
  await receiver.stop();
  await namespace.remove();
});

test("a Widget's receiver is told once, with the Secret's token; the Event and the metric say so", async () => {
  const sample = await startSample({ namespace: ns(), identity: "effects-one" });
  processes.push(sample);
  try {
    await createSecret("receiver-token");
    await createWidget("told", { url: receiver.url, secret: "receiver-token" });
    await eventually("status.notified", async () => (await statusOf("told")).notified === true);
    assert.is(receiver.deliveries.get("notify-told"), 1);
    assert.ok(receiver.applied.has("notify-told"));
    await eventually("a Notified Event", async () => (await eventsOf("told", "Notified")).length === 1);
    assert.is(
      await sample.metric("controller_runtime_actions_total", {
        controller: "widget-notify",
        type: "http",
        result: "succeeded",
      }),
      1,
    );
    // Nothing more is sent: the id succeeded, and the function no longer answers it.
    const syncs = () => sample.metric("controller_runtime_reconcile_total", { controller: "widget-notify" });
    const before = await syncs();
    await client.patch(WidgetKind, ns(), "told", { metadata: { labels: { touched: "yes" } } });
    await eventually("the touch to be synced", async () => (await syncs()) > before);
    assert.is(receiver.deliveries.get("notify-told"), 1);
    // The Secret's value is in no log line and not on the Widget.
    assert.not.match(sample.logs.join("\n"), "t0ken");
    assert.not.match(JSON.stringify(await client.get(WidgetKind, ns(), "told")), "t0ken");
  } finally {
    await sample.stop();
  }
});

test("a missing Secret sends nothing and is reported; once it exists the request goes", async () => {
  const sample = await startSample({ namespace: ns(), identity: "effects-two" });
  processes.push(sample);
  try {
    await createWidget("waits", { url: receiver.url, secret: "later-token" });
    const status = await eventually("the error in status", async () => {
      const status = await statusOf("waits");
      return typeof status.notifyError === "string" ? status : undefined;
    });
    assert.match(
      String(status.notifyError),
      "not sent: reading the headers of Secret later-token: no Secret later-token in namespace",
    );
    assert.is(receiver.deliveries.get("notify-waits"), undefined, "nothing was sent");
    await eventually("a Warning Event", async () => (await eventsOf("waits", "ActionFailed")).length >= 1);
    await createSecret("later-token");
    // The retry waits out its backoff (1 s, then 2 s, ...).
    await eventually("status.notified", async () => (await statusOf("waits")).notified === true, {
      timeoutMs: 30_000,
    });
    assert.is(receiver.deliveries.get("notify-waits"), 1);
  } finally {
    await sample.stop();
  }
});

test("the leader killed while its requests are held: each effect happens once; only the held ones are sent again", async () => {
  const count = 20;
  const args = shortLease;
  const a = await startSample({ namespace: ns(), identity: "effects-a", args });
  processes.push(a);
  await eventually("effects-a to lead", async () => (await a.readyz()).leader, { timeoutMs: leaseBoundMs * 2 });
  const b = await startSample({ namespace: ns(), identity: "effects-b", args });
  processes.push(b);
  await eventually("effects-b to sync its caches", async () => (await b.readyz()).ready);

  receiver.holding = true;
  const names = Array.from({ length: count }, (_, i) => `kill-${i}`);
  await Promise.all(names.map((name) => createWidget(name, { url: receiver.url, secret: "receiver-token" })));
  // The leader sends as many as it runs at once (8), and the receiver holds them all.
  await eventually("the leader's first requests held", () => receiver.held.length === 8);
  const held = new Set(receiver.held);
  const killedAt = performance.now();
  await a.stop("SIGKILL");
  receiver.holding = false;

  await eventually(
    "every Widget notified",
    async () => {
      const statuses = await Promise.all(names.map(statusOf));
      return statuses.every((status) => status.notified === true);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const doneMs = Math.round(performance.now() - killedAt);
  const keys = names.map((name) => `notify-${name}`);
  assert.equal(keys.filter((key) => !receiver.applied.has(key)), [], "every effect applied");
  const twice = receiver.sentTwice();
  assert.equal(twice.sort(), [...held].sort(), "sent again: exactly the requests the killed leader had open");
  assert.ok(
    keys.every((key) => (receiver.deliveries.get(key) ?? 0) <= 2),
    "none sent more than twice",
  );
  const succeeded = await b.metric("controller_runtime_actions_total", {
    controller: "widget-notify",
    type: "http",
    result: "succeeded",
  });
  assert.is(succeeded, count, "the new leader finished all of them");
  console.log(
    `[effects] ${count} Widgets, leader SIGKILLed with ${held.size} requests held: ` +
      `${
        keys.filter((key) => receiver.applied.has(key)).length
      } effects applied once each, ${twice.length} requests sent twice ` +
      `(all ${held.size} held ones, same Idempotency-Key), all notified ${doneMs} ms after the kill`,
  );
  await b.stop();
});

test.run();
