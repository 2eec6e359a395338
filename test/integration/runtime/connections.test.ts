// The client's connections to the real API server, counted by a TCP forwarder in front of it:
// ordinary requests share at most maxConnections and wait for one beyond that; watches and
// exempt requests (the leader's Lease) go over connections of their own and never wait behind
// them; an idle connection closes after idleMs.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import * as assert from "uvu/assert";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { eventually, testKubeConfig } from "../../support/kube.ts";
import { suite } from "../../support/suite.ts";

const test = suite("runtime: connections to the API server");
const config = testKubeConfig();

/** A TCP forwarder to the API server that counts the connections open through it. */
class Forwarder {
  open = 0;
  mostOpen = 0;
  accepted = 0;
  /** Connections whose bytes toward the API server are held back until released. */
  readonly #held: Array<() => void> = [];
  #holdNext = 0;
  readonly #sockets = new Set<Socket>();
  readonly server: Server;

  constructor(target: URL) {
    this.server = createServer((client) => {
      this.accepted++;
      this.mostOpen = Math.max(this.mostOpen, ++this.open);
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.once("close", () => {
        this.open--;
        upstream.destroy();
      });
      upstream.once("close", () => client.destroy());
      upstream.pipe(client);
      const forward = () => client.pipe(upstream);
      if (this.#holdNext > 0) {
        this.#holdNext--;
        client.pause();
        this.#held.push(forward);
      } else forward();
    });
  }

  /** The next connection's requests reach the API server only once release() is called. */
  holdNext(): void {
    this.#holdNext++;
  }

  release(): void {
    for (const forward of this.#held.splice(0)) forward();
  }

  async start(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.release();
    for (const socket of this.#sockets) socket.destroy();
    this.server.close();
    await once(this.server, "close");
  }
}

const forwarders: Forwarder[] = [];
test.after.each(async () => {
  for (const forwarder of forwarders.splice(0)) await forwarder.stop();
});

/** The test cluster's kubeconfig (as JSON) with its server replaced by a fresh forwarder's address. */
async function configThroughForwarder(): Promise<{ exported: string; forwarder: Forwarder }> {
  const cluster = config.getCurrentCluster()!;
  const forwarder = new Forwarder(new URL(cluster.server));
  forwarders.push(forwarder);
  const server = await forwarder.start();
  const exported = JSON.parse(config.exportConfig()) as {
    clusters: Array<{ name: string; cluster: { server: string } }>;
  };
  for (const entry of exported.clusters) if (entry.name === cluster.name) entry.cluster.server = server;
  return { exported: JSON.stringify(exported), forwarder };
}

/** A client of the test cluster through a fresh forwarder, with the given connection limits. */
async function throughForwarder(
  connections: { maxConnections?: number; idleMs?: number },
): Promise<{ client: KubeClient; forwarder: Forwarder }> {
  const { exported, forwarder } = await configThroughForwarder();
  const copy = new KubeConfig();
  copy.loadFromString(exported);
  return { client: new KubeClient(copy, undefined, connections), forwarder };
}

const listConfigMaps = (client: KubeClient, options: { exempt?: boolean } = {}) =>
  client.request("GET", "/api/v1/namespaces/kube-system/configmaps", options);

test("ordinary requests share at most maxConnections connections; the others wait and all succeed", async () => {
  const limited = await throughForwarder({ maxConnections: 2 });
  const answers = await Promise.all(Array.from({ length: 12 }, () => listConfigMaps(limited.client)));
  assert.is(answers.filter((answer) => (answer as { kind?: string }).kind === "ConfigMapList").length, 12);
  assert.ok(limited.forwarder.mostOpen <= 2, `at most 2 connections open at once, saw ${limited.forwarder.mostOpen}`);
  // Without the limit, the same 12 requests at once open more than 2.
  const free = await throughForwarder({ maxConnections: 64 });
  await Promise.all(Array.from({ length: 12 }, () => listConfigMaps(free.client)));
  assert.ok(free.forwarder.mostOpen > 2, `more than 2 connections without the limit, saw ${free.forwarder.mostOpen}`);
});

test("a watch and an exempt request do not wait for the one connection a held request occupies", async () => {
  const { client, forwarder } = await throughForwarder({ maxConnections: 1 });
  const order: string[] = [];
  // The first connection is held at the forwarder: its request is in flight until released.
  forwarder.holdNext();
  const held = listConfigMaps(client).then(() => order.push("held"));
  await eventually("the held request's connection", () => forwarder.accepted === 1);
  const waiting = listConfigMaps(client).then(() => order.push("waiting"));
  const exempt = listConfigMaps(client, { exempt: true }).then(() => order.push("exempt"));
  const abort = new AbortController();
  const events = client.watch(builtinKinds.Namespace, {
    resourceVersion: "0",
    timeoutSeconds: 30,
    signal: abort.signal,
  });
  const first = await events.next();
  order.push("watch");
  assert.ok(!first.done, "the watch streams its first event");
  await exempt;
  assert.equal(order.slice().sort(), ["exempt", "watch"], "both answered while the held request waits");
  forwarder.release();
  await Promise.all([held, waiting]);
  assert.equal(order.slice(2), ["held", "waiting"], "the second ordinary request waited for the first");
  abort.abort();
  await events.return(undefined);
});

test("an idle connection closes after idleMs", async () => {
  const { client, forwarder } = await throughForwarder({ maxConnections: 4, idleMs: 200 });
  await Promise.all(Array.from({ length: 4 }, () => listConfigMaps(client)));
  assert.ok(forwarder.mostOpen >= 2, `the burst opened connections, saw ${forwarder.mostOpen}`);
  await eventually("every idle connection closed", () => forwarder.open === 0, { timeoutMs: 10_000 });
  // The next request opens a fresh one.
  const before = forwarder.accepted;
  await listConfigMaps(client);
  assert.is(forwarder.accepted, before + 1);
});

test("under Deno too, ordinary requests share at most maxConnections connections", async () => {
  const { exported, forwarder } = await configThroughForwarder();
  // The kubeconfig holds the test cluster's credentials: it lives only as long as this test.
  const dir = mkdtempSync(join(tmpdir(), "kubefn-connections-"));
  try {
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, exported, { mode: 0o600 });
    const deno = join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "deno");
    const script = join(import.meta.dirname, "connections-request.ts");
    const { stdout } = await promisify(execFile)(
      deno,
      ["run", "--allow-all", "--quiet", script, kubeconfig, "2", "12"],
      {
        timeout: 60_000,
      },
    );
    assert.equal(JSON.parse(stdout.trim().split("\n").pop()!), { lists: 12 }, stdout);
    assert.ok(forwarder.accepted >= 1, "the requests went through the forwarder");
    assert.ok(forwarder.mostOpen <= 2, `at most 2 connections open at once under Deno, saw ${forwarder.mostOpen}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
