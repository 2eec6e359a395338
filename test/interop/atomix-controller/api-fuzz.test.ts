// A bounded, seeded fuzz of the API on loopback: for every service the Atomix controller
// serves (its four and the runtime's health and reflection), `bodiesPerServicePerProtocol`
// random and mutated bodies over each of gRPC, gRPC-Web and Connect (binary, and JSON for a
// quarter of the Connect calls). gRPC goes over HTTP/2 (h2c); gRPC-Web and Connect over
// HTTP/1.1 or HTTP/2 at random, and over HTTP/2 for bidirectional streams (reflection), which
// Connect serves only there. No answer may be HTTP 500 or internal/unknown, each must
// come within `answerTimeoutMs`, the process must log no uncaught error, and after a full
// collection (forced by a heap snapshot) its heap in use must be within `heapBoundBytes` of
// before (its resident memory only within the looser `rssBoundBytes`). The counts by answer
// are printed.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { BodyMaker } from "../../support/fuzz-bodies.ts";
import { fuzzedServices, seedsOf } from "../../support/fuzz-seeds.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import {
  callHttp1,
  callHttp2,
  codeNames,
  openSession,
  type WireAnswer,
  type WireCall,
  type WireProtocol,
} from "../../support/rpc-wire.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const seed = 20261203;
const bodiesPerServicePerProtocol = 1500;
const answerTimeoutMs = 10_000;
const inFlight = 8;
/**
 * What the fuzz may leave behind. Under this allocation rate V8 grows its heap and keeps the
 * pages it frees mapped, so RSS grows by 200–330 MiB depending on how fast the calls go; what
 * tells a leak from garbage is the heap in use after a full collection (waiting for V8 to
 * collect an idle process was not enough: once, 207 MiB stayed for a minute).
 */
const heapBoundBytes = 48 * 1024 * 1024;
const rssBoundBytes = 512 * 1024 * 1024;

const test = suite("interop: API fuzz (seeded, bounded)");
let controller: SampleProcess;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;

/** Where the controller writes the heap snapshot that makes it collect everything (removed after). */
let snapshots: string;

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "api-fuzz");
  snapshots = mkdtempSync(join(tmpdir(), "api-fuzz-heap-"));
  controller = (await startAtomixController("api-fuzz", "leader", {
    nodeArgs: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`],
  })).controller;
});

test.after(async () => {
  await controller?.stop();
  await namespace?.remove();
  if (snapshots) rmSync(snapshots, { recursive: true, force: true });
});

/**
 * The heap in use after a full collection: a heap snapshot collects everything unreachable
 * first, so the figure does not depend on when V8 chooses to collect an idle process.
 */
async function heapAfterFullCollection(): Promise<number> {
  controller.process.kill("SIGUSR2");
  await eventually(
    "the heap snapshot to start",
    () => readdirSync(snapshots).some((f) => f.endsWith(".heapsnapshot")),
    {
      timeoutMs: 60_000,
    },
  );
  // The snapshot is written on the main thread: once the process answers again, it is done.
  const heap = await controller.metric("nodejs_heap_size_used_bytes");
  for (const file of readdirSync(snapshots)) rmSync(join(snapshots, file), { force: true });
  return heap;
}

const protocols: WireProtocol[] = ["grpc", "grpc-web", "connect"];

test(`${bodiesPerServicePerProtocol} random and mutated bodies per service per protocol: no 500, no internal, all answered in time`, async () => {
  const base = `http://127.0.0.1:${controller.port}`;
  const session = await openSession(base);
  const sessionEvents: string[] = [];
  session.on("error", (error) => sessionEvents.push(`error: ${error.message}`));
  session.on("goaway", (code, lastStreamID) => sessionEvents.push(`goaway: code ${code}, last stream ${lastStreamID}`));
  const bodies = new BodyMaker(seed);
  const calls: Array<WireCall & { service: string; kind: string; http2: boolean }> = [];
  for (const service of fuzzedServices) {
    const methods = seedsOf(service, namespace.name);
    for (const protocol of protocols) {
      for (let n = 0; n < bodiesPerServicePerProtocol; n++) {
        const method = bodies.pick(methods);
        const json = protocol === "connect" && bodies.int(4) === 0;
        const message = json ? bodies.json(method.json) : bodies.message(method.binary);
        const enveloped = protocol !== "connect" || !method.unary;
        const { kind, body } = enveloped ? bodies.enveloped(message.data) : { kind: "unenveloped", body: message.data };
        const http2 = protocol === "grpc" || method.method.methodKind === "bidi_streaming" || bodies.int(2) === 0;
        const openEnded = method.method.methodKind === "server_streaming";
        calls.push({
          protocol,
          path: method.path,
          body,
          unary: method.unary,
          json,
          http2,
          openEnded,
          service: service.typeName,
          kind: `${message.kind}, ${kind}`,
        });
      }
    }
  }
  const rssBefore = await controller.metric("process_resident_memory_bytes");
  const heapBefore = await controller.metric("nodejs_heap_size_used_bytes");
  const counts = new Map<string, number>();
  const failures: string[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < calls.length) {
      const call = calls[next++]!;
      const signal = AbortSignal.timeout(answerTimeoutMs);
      let answer: WireAnswer;
      try {
        answer = call.http2 ? await callHttp2(session, call, signal) : await callHttp1(base, call, signal);
      } catch (error) {
        failures.push(`${call.protocol} ${call.path} (${call.kind}): ${(error as Error).message}`);
        continue;
      }
      const key = `${call.protocol.padEnd(8)} ${call.http2 ? "h2 " : "h1 "} HTTP ${answer.httpStatus} ${answer.code}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const bad = answer.httpStatus === 500 || answer.code === "internal" || answer.code === "unknown" ||
        !codeNames.includes(answer.code);
      if (bad) failures.push(`${key} for ${call.path} (${call.kind}): ${answer.message}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  session.close();
  const seconds = (Date.now() - started) / 1000;
  const rssAfter = await controller.metric("process_resident_memory_bytes");
  const heapAfter = await controller.metric("nodejs_heap_size_used_bytes");
  console.log(
    `fuzz: seed ${seed}, ${calls.length} calls in ${seconds.toFixed(1)} s; answers by protocol, HTTP status and code:`,
  );
  for (const [key, count] of [...counts].sort()) console.log(`  ${key.padEnd(48)} ${count}`);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `fuzz: controller RSS before ${mib(rssBefore)}, after ${mib(rssAfter)} (bound: +${
      mib(rssBoundBytes)
    }); heap used before ${mib(heapBefore)}, after ${mib(heapAfter)}`,
  );
  const serverHttp2 = controller.logs.filter((line) => /HTTP\/2|connection error/.test(line)).slice(0, 5);
  assert.equal(
    failures.slice(0, 20),
    [],
    `${failures.length} bad answers; client session: ${sessionEvents.join("; ") || "no event"}; server: ${
      serverHttp2.join("\n") || "no HTTP/2 error"
    }`,
  );
  assert.is([...counts.values()].reduce((a, b) => a + b, 0), calls.length, "every call was answered");
  assert.ok(rssAfter - rssBefore < rssBoundBytes, `RSS grew by ${((rssAfter - rssBefore) / 2 ** 20).toFixed(1)} MiB`);
  const heapCollected = await heapAfterFullCollection();
  console.log(`fuzz: heap in use after a full collection ${mib(heapCollected)}`);
  assert.ok(
    heapCollected - heapBefore < heapBoundBytes,
    `the heap in use after a full collection, ${mib(heapCollected)}, is within ${mib(heapBoundBytes)} of before (${
      mib(heapBefore)
    })`,
  );
  assert.is(controller.process.exitCode, null, "the controller is still running");
  assert.equal(controller.logs.filter((line) => /uncaught|unhandled/i.test(line)), [], "no uncaught error was logged");
  assert.is((await controller.get("/healthz")).status, 200);
});

test.run();
