// grpc.health.v1 through the process's life (NOT_SERVING while caches cannot sync, SERVING,
// NOT_SERVING once shutdown starts, read by grpc-health-probe and a grpc-go Watch), and the
// limits that keep one client from exhausting the process: an oversized message is refused
// from its declared length while the client is still sending (resident memory stays flat),
// request headers and concurrent HTTP/2 streams are bounded, and the flags change the bounds.
import { request as http1Request } from "node:http";
import { type ClientHttp2Session, connect, constants, type Settings } from "node:http2";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoTool, runTool, startGoProgram } from "../../support/goclient.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import { openSession } from "../../support/rpc-wire.ts";
import { type SampleProcess, startSample } from "../../support/sample.ts";
import { serviceAccountKubeconfig } from "../../support/service-account.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("interop: API health and limits");
const tools = { healthProbe: "", edges: "" };
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const stopped: SampleProcess[] = [];
const mib = 1024 * 1024;

test.before(async () => {
  [tools.healthProbe, tools.edges] = await Promise.all([buildGoTool("healthProbe"), buildGoTool("edges")]);
  namespace = await freshNamespace(testKubeConfig(), "api-limits");
});

test.after(async () => {
  await Promise.all(stopped.map((process) => process.stop("SIGKILL")));
  await namespace?.remove();
});

/** An HTTP/2 session and the first SETTINGS the server sent on it. */
async function serverSettings(port: number): Promise<{ session: ClientHttp2Session; settings: Settings }> {
  const session = connect(`http://127.0.0.1:${port}`);
  const settings = await new Promise<Settings>((resolve, reject) => {
    session.once("remoteSettings", resolve);
    session.once("error", reject);
  });
  return { session, settings };
}

const probe = (port: number, service = "") =>
  runTool(tools.healthProbe, [`-addr=127.0.0.1:${port}`, `-service=${service}`]);

test("NOT_SERVING (and /readyz 503) while the caches cannot sync: a ServiceAccount the API server lets list nothing", async () => {
  await kubectlOrThrow(process.env.KUBECONFIG_FOR_TESTS!, ["create", "serviceaccount", "nobody", "-n", namespace.name]);
  const kubeconfig = await serviceAccountKubeconfig("nobody", namespace.name);
  const unsynced = await startSample({
    script: join(root, "main.ts"),
    identity: "api-unsynced",
    kubeconfig,
    args: ["--leader-elect=false"],
  });
  stopped.push(unsynced);
  const answer = await probe(unsynced.port);
  assert.is(answer.code, 4, `grpc-health-probe exits 4 for NOT_SERVING: ${answer.stdout}${answer.stderr}`);
  assert.match(answer.stderr + answer.stdout, "NOT_SERVING");
  assert.is(
    (await probe(unsynced.port, "atomix.database.DatabaseService")).code,
    4,
    "each service reports the server's status",
  );
  const readyz = await unsynced.get("/readyz");
  assert.is(readyz.status, 503);
  assert.is(((await readyz.json()) as { cachesSynced: boolean }).cachesSynced, false);
});

test("a grpc-go Watch sees SERVING, then NOT_SERVING as soon as shutdown starts, before the stream ends", async () => {
  const { controller } = await startAtomixController("api-health");
  stopped.push(controller);
  assert.is((await probe(controller.port)).code, 0);
  const watch = startGoProgram(tools.edges, [
    `--address=127.0.0.1:${controller.port}`,
    "--scenario=watch",
    "--service=atomix.controller.ControllerService",
  ]);
  await eventually("the Watch to report SERVING", () => watch.steps.some((step) => step.status === "SERVING"));
  assert.is(await controller.stop("SIGTERM"), 0);
  await eventually("the Watch to end", () => watch.steps.some((step) => step.step === "end"));
  await watch.stop();
  assert.equal(watch.steps.map((step) => step.status ?? step.step), ["SERVING", "NOT_SERVING", "end"], watch.stderr());
});

test("oversized messages are refused from their declared length, before they are read: 256 MiB sent lazily, RSS flat", async () => {
  const { controller } = await startAtomixController("api-limits", "leader");
  stopped.push(controller);
  const declared = 256 * mib;
  const rssBefore = await controller.metric("process_resident_memory_bytes");
  const chunk = new Uint8Array(mib);
  // gRPC over HTTP/2: the envelope's 5-byte prefix declares 256 MiB.
  const session = await openSession(`http://127.0.0.1:${controller.port}`);
  const grpc = await new Promise<{ status: string | undefined; sent: number }>((resolve) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/atomix.database.DatabaseService/GetDatabases",
      "content-type": "application/grpc",
      te: "trailers",
    });
    let sent = 0;
    let answered = false;
    const header = new Uint8Array(5);
    new DataView(header.buffer).setUint32(1, declared);
    stream.write(header);
    const pump = () => {
      while (!answered && sent < declared && stream.write(chunk)) sent += chunk.byteLength;
    };
    stream.on("drain", pump);
    stream.on("trailers", (trailers) => {
      answered = true;
      resolve({ status: trailers["grpc-status"] as string | undefined, sent });
      stream.close(constants.NGHTTP2_CANCEL);
    });
    stream.on("error", () => undefined);
    pump();
  });
  session.close();
  assert.is(grpc.status, "8", "RESOURCE_EXHAUSTED");
  assert.ok(grpc.sent < 16 * mib, `gRPC: answered after ${grpc.sent / mib} MiB of 256 were sent`);
  // Connect over HTTP/1.1: the Content-Length declares 256 MiB.
  const connect = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
    const request = http1Request({
      host: "127.0.0.1",
      port: controller.port,
      method: "POST",
      path: "/atomix.database.DatabaseService/GetDatabases",
      headers: { "content-type": "application/proto", "content-length": declared },
    });
    let sent = 0;
    let answered = false;
    const pump = () => {
      while (!answered && sent < declared && request.write(chunk)) sent += chunk.byteLength;
    };
    request.on("drain", pump);
    request.on("response", (response) => {
      answered = true;
      resolve({ status: response.statusCode!, sent });
      request.destroy();
    });
    request.on("error", (error) => (answered ? undefined : reject(error)));
    pump();
  });
  assert.is(connect.status, 429, "Connect's HTTP status for resource_exhausted");
  assert.ok(connect.sent < 16 * mib, `Connect: answered after ${connect.sent / mib} MiB of 256 were sent`);
  const rssAfter = await controller.metric("process_resident_memory_bytes");
  assert.ok(rssAfter - rssBefore < 32 * mib, `RSS grew by ${((rssAfter - rssBefore) / mib).toFixed(1)} MiB`);
});

test("request headers are bounded (HTTP/1.1 431, HTTP/2 stream refused) and HTTP/2 advertises its limits; the process carries on", async () => {
  const controller = stopped.at(-1)!;
  const huge = "x".repeat(100 * 1024);
  const status = await new Promise<number>((resolve, reject) => {
    const request = http1Request({
      host: "127.0.0.1",
      port: controller.port,
      path: "/healthz",
      headers: { "x-huge": huge },
    }, (response) => resolve(response.statusCode!));
    request.on("error", reject);
    request.end();
  });
  assert.is(status, 431);
  const { session, settings } = await serverSettings(controller.port);
  assert.equal([settings.maxConcurrentStreams, settings.maxHeaderListSize], [100, 64 * 1024]);
  const refused = await new Promise<string>((resolve) => {
    const stream = session.request({ ":path": "/healthz", "x-huge": huge });
    stream.on("error", (error: Error & { code?: string }) => resolve(error.message));
    stream.on("response", () => resolve("answered"));
    stream.end();
  });
  session.destroy();
  assert.match(refused, /REFUSED_STREAM|header/i);
  assert.is((await controller.get("/healthz")).status, 200);
});

test("--max-message-bytes raises the limit and --max-concurrent-streams lowers the streams", async () => {
  const controller = stopped.at(-1)!;
  await controller.stop("SIGTERM");
  const { controller: raised } = await startAtomixController("api-raised", "leader", {
    args: [`--max-message-bytes=${16 * mib}`, "--max-concurrent-streams=8"],
  });
  stopped.push(raised);
  const { session, settings } = await serverSettings(raised.port);
  session.destroy();
  assert.is(settings.maxConcurrentStreams, 8);
  const run = startGoProgram(tools.edges, [
    `--address=127.0.0.1:${raised.port}`,
    "--scenario=invoke",
    "--method=/atomix.database.DatabaseService/GetDatabases",
    `--size=${6 * mib}`,
  ]);
  await eventually("the call to end", () => run.steps.find((step) => step.step === "invoke"));
  assert.is(run.steps[0]!.code, "InvalidArgument", "6 MiB of zeros is read (and refused as malformed), not too big");
  const flag = await runTool(process.execPath, [join(root, "main.ts"), "--max-message-bytes=0"]);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, "--max-message-bytes must be a whole number from 1");
});

test.run();
