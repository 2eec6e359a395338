// Bun (from npm): the same sample controller, unchanged, against the real cluster; the remote
// hook client over TLS with a client certificate, against a Node server that requires one; and
// the unit tests, every file but those that test Node itself.
import { suite } from "../../support/suite.ts";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { connect, constants } from "node:http2";
import { join, relative } from "node:path";
import * as assert from "uvu/assert";
import { clientCertServer, makeCertificates } from "../../support/tls.ts";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { checkSampleWorks, installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const bun = join(root, "node_modules", "bun", "bin", "bun.exe");
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

/** Runs a file with Bun; resolves with its exit code and output. */
const runBun = (file: string, env: Record<string, string> = {}) =>
  new Promise<{ code: number; output: string }>((resolve) =>
    execFile(
      bun,
      [file],
      { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }),
    )
  );

test("remote hooks from Bun: the CA bundle, client certificate and token reach a server that requires all three", async () => {
  const certs = makeCertificates();
  const seen: Array<string | undefined> = [];
  const server = clientCertServer(certs, (req, res, client) => {
    seen.push(client);
    if (req.headers.authorization !== "Bearer right") return void res.writeHead(401).end('{"error":"wrong token"}');
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":{"ok":true}}');
  });
  try {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://localhost:${(server.address() as { port: number }).port}/sync`;
    const call = async (options: Record<string, string>) => {
      const { code, output } = await runBun(join(import.meta.dirname, "bun-remote-call.ts"), {
        REMOTE_CALL: JSON.stringify({ url, ...options }),
      });
      assert.is(code, 0, output);
      return JSON.parse(output.trim().split("\n").at(-1)!);
    };
    const tls = { caBundle: certs.ca.cert, clientCert: certs.client.cert, clientKey: certs.client.key };
    assert.equal(await call({ ...tls, token: "right" }), { answer: { status: { ok: true } } });
    assert.equal(seen, ["metacontroller"], "the client certificate was presented");
    assert.match((await call({ ...tls, token: "wrong" })).error, "answered 401: wrong token");
    assert.match((await call({ token: "right" })).error, "could not be reached", "without the CA bundle");
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    certs.remove();
  }
});

/** Unit test files that test Node itself, and why each cannot run on Bun. */
const nodeOnly: Record<string, string> = {
  "test/unit/runtime/hook-server/fuzz.test.ts": "measures the heap after gc(), which only node --expose-gc has",
  "test/unit/runtime/hook-server/modules.test.ts": "records the module graph with node:module's registerHooks",
  "test/unit/runtime/server/grpc-direct.test.ts": "gRPC over HTTP/2, which the runtime refuses on Bun",
  "test/unit/runtime/memory.test.ts": "compacts V8's heap; Bun runs JavaScriptCore, which the compactor leaves alone",
  "test/unit/runtime/webhook/client-tls.test.ts":
    "its server reads the client certificate with getPeerCertificate(), which Bun's https server lacks (the client is tested on Bun above)",
};

test("the unit tests pass on Bun, but for the files that test Node itself", async () => {
  const files = (readdirSync(join(root, "test", "unit"), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => relative(root, join(root, "test", "unit", file)))
    .filter((file) => !(file in nodeOnly))
    .sort();
  assert.ok(files.length >= 40, `${files.length} files`);
  const failed: string[] = [];
  for (const file of files) {
    const { code, output } = await runBun(file);
    if (code !== 0 || !/Passed:\s+[1-9]/.test(output)) failed.push(`${file}: ${output.slice(-800)}`);
  }
  assert.equal(failed, [], failed.join("\n\n"));
  console.log(`[bun] ${files.length} unit test files pass on Bun; ${Object.keys(nodeOnly).length} test Node itself`);
});

test.run();
