// The direct gRPC unary path (runtime/server/grpc-direct.ts) on a real HTTP/2 server on
// loopback, with a real HTTP/2 client: the same answers as Connect's gRPC handler for good and
// malformed calls, compression both ways, the request gate and interceptors, a caller that
// goes away, and the other protocols and streaming calls still served beside it. No
// Kubernetes is involved: the server is the runtime's own, with a test service.
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from "node:http2";
import { gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Hono } from "hono";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DatabaseService,
  GetDatabaseRequestSchema,
  GetDatabaseResponseSchema,
} from "../../../../gen/atomix/database/database_pb.ts";
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
} from "../../../../runtime/gen/grpc/health/v1/health_pb.ts";
import { silentLogger } from "../../../../runtime/log.ts";
import { HealthStatus } from "../../../../runtime/server/health.ts";
import { defaultLimits } from "../../../../runtime/server/limits.ts";
import type { RunningServer } from "../../../../runtime/server/options.ts";
import { serve } from "../../../../runtime/server/server.ts";

let server: RunningServer;
let session: ClientHttp2Session;
const intercepted: string[] = [];
let slowStarted: () => void = () => {};
let slowAborted: Promise<unknown> = Promise.resolve();

const stamp: Interceptor = (next) => async (request) => {
  intercepted.push(request.method.name);
  const response = await next(request);
  response.header.set("x-intercepted", request.method.name);
  return response;
};

test.before(async () => {
  const health = new HealthStatus();
  health.set(true);
  server = await serve({
    host: "127.0.0.1",
    port: 0,
    app: new Hono(),
    log: silentLogger,
    limits: { ...defaultLimits, maxMessageBytes: 4096 },
    health,
    interceptors: [stamp],
    requestGate: (context) => {
      if (context.requestHeader.get("authorization") === "Bearer wrong") {
        throw new ConnectError("the token is not valid", Code.Unauthenticated);
      }
    },
    routes: (router) => {
      router.service(DatabaseService, {
        async getDatabase(request, context) {
          const name = request.id?.name ?? "";
          if (name === "missing") throw new ConnectError(`database ${name} does not exist`, Code.NotFound);
          if (name === "bug") throw new Error("a bug");
          // HTTP/2 forbids connection-specific headers: Node refuses to send this answer.
          if (name === "unsendable") context.responseHeader.set("connection", "close");
          if (name === "slow") {
            slowAborted = new Promise((resolve) =>
              context.signal.addEventListener("abort", () => resolve(context.signal.reason), { once: true })
            );
            slowStarted();
            await slowAborted;
          }
          context.responseTrailer.set("x-served-by", "test");
          return { database: { id: { name, namespace: "default" }, partitions: [] } };
        },
        getDatabases() {
          return { databases: [] };
        },
      });
    },
  });
  session = connect(`http://127.0.0.1:${server.port}`);
});

test.after(async () => {
  session.close();
  await server.close();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

function call(path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let answerHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    stream.on("response", (h) => (answerHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on(
      "close",
      () =>
        resolve({
          status: Number(answerHeaders[":status"]),
          headers: answerHeaders,
          trailers,
          body: Buffer.concat(chunks),
        }),
    );
    stream.end(body);
  });
}

const envelope = (data: Uint8Array, flags = 0) => {
  const out = Buffer.alloc(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, 5);
  return out;
};
const check = envelope(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {})));
const getDatabase = (name: string) =>
  envelope(toBinary(GetDatabaseRequestSchema, create(GetDatabaseRequestSchema, { id: { name } })));
const statusOf = (
  answer: Answer,
) => [answer.trailers["grpc-status"], decodeURIComponent(String(answer.trailers["grpc-message"] ?? ""))];

test("a unary call is answered with headers, one message and status trailers, through the interceptors", async () => {
  const answer = await call("/atomix.database.DatabaseService/GetDatabase", getDatabase("alpha"));
  assert.is(answer.status, 200);
  assert.is(answer.headers["content-type"], "application/grpc+proto");
  assert.is(answer.headers["x-intercepted"], "GetDatabase", "an interceptor's response header");
  assert.equal(statusOf(answer), ["0", ""]);
  assert.is(answer.trailers["x-served-by"], "test", "the implementation's trailer");
  assert.is(answer.body[0], 0, "not compressed");
  assert.is(answer.body.readUInt32BE(1), answer.body.byteLength - 5, "one whole envelope");
  const message = fromBinary(GetDatabaseResponseSchema, answer.body.subarray(5));
  assert.is(message.database?.id?.name, "alpha");
  assert.ok(intercepted.includes("GetDatabase"));
  const health = await call("/grpc.health.v1.Health/Check", check, { "content-type": "application/grpc+proto" });
  assert.is(fromBinary(HealthCheckResponseSchema, health.body.subarray(5)).status, 1, "SERVING");
});

test("errors: the implementation's code and message; anything else is internal", async () => {
  assert.equal(statusOf(await call("/atomix.database.DatabaseService/GetDatabase", getDatabase("missing"))), [
    "5",
    "database missing does not exist",
  ]);
  assert.equal(statusOf(await call("/atomix.database.DatabaseService/GetDatabase", getDatabase("bug"))), [
    "13",
    "internal error",
  ]);
  assert.equal(
    statusOf(
      await call("/atomix.database.DatabaseService/GetDatabase", getDatabase("x"), { authorization: "Bearer wrong" }),
    ),
    ["16", "the token is not valid"],
  );
});

test("malformed and oversized requests get the codes Connect gives them", async () => {
  const path = "/grpc.health.v1.Health/Check";
  const cases: Array<[string, Uint8Array, Record<string, string>, string, string]> = [
    ["no message", new Uint8Array(), {}, "12", "protocol error: missing input message for unary method"],
    ["a cut-short prefix", Buffer.from([0, 0, 0]), {}, "3", "protocol error: incomplete envelope"],
    ["a cut-short message", Buffer.from([0, 0, 0, 0, 5, 10]), {}, "3", "protocol error: incomplete envelope"],
    [
      "two messages",
      Buffer.concat([check, check]),
      {},
      "12",
      "protocol error: received extra input message for unary method",
    ],
    ["not protobuf", envelope(Buffer.from([0, 0, 0])), {}, "3", "parse binary: illegal tag: field no 0 wire type 0"],
    [
      "compressed without an encoding",
      envelope(new Uint8Array(), 1),
      {},
      "3",
      "received compressed envelope, but do not know how to decompress",
    ],
    [
      "over the limit",
      Buffer.from([0, 0, 16, 0, 0]),
      {},
      "8",
      "message size 1048576 is larger than configured readMaxBytes 4096",
    ],
    [
      "an unknown compression",
      check,
      { "grpc-encoding": "zstd" },
      "12",
      'unknown compression "zstd": supported encodings are gzip,br',
    ],
    ["a bad timeout", check, { "grpc-timeout": "soon" }, "3", "protocol error: invalid grpc timeout value: soon"],
  ];
  for (const [what, body, headers, code, message] of cases) {
    const answer = await call(path, body, headers);
    assert.is(answer.status, 200, what);
    assert.equal(statusOf(answer), [code, message], what);
    assert.is(answer.body.byteLength, 0, `${what}: no message`);
  }
});

test("an upload refused before it is read is stopped without an error; the connection stays usable", async () => {
  const answer = await call(
    "/grpc.health.v1.Health/Check",
    Buffer.concat([Buffer.from([0, 0, 0, 32, 0]), Buffer.alloc(64 * 1024)]),
  );
  assert.equal(statusOf(answer), ["8", "message size 8192 is larger than configured readMaxBytes 4096"]);
  assert.equal(
    statusOf(await call("/grpc.health.v1.Health/Check", check)),
    ["0", ""],
    "the next call on the same connection",
  );
});

test("compression: a gzip request is read, and the answer is gzip when the caller accepts it", async () => {
  const compressed = envelope(
    gzipSync(
      toBinary(GetDatabaseRequestSchema, create(GetDatabaseRequestSchema, { id: { name: "zipped".repeat(200) } })),
    ),
    1,
  );
  const answer = await call("/atomix.database.DatabaseService/GetDatabase", compressed, {
    "grpc-encoding": "gzip",
    "grpc-accept-encoding": "gzip",
  });
  assert.equal(statusOf(answer), ["0", ""]);
  assert.is(answer.headers["grpc-encoding"], "gzip");
  assert.is(answer.body[0], 1, "the answer (over 1 KiB) is compressed");
  const message = fromBinary(GetDatabaseResponseSchema, gunzipSync(answer.body.subarray(5)));
  assert.is(message.database?.id?.name, "zipped".repeat(200));
});

test("an answer Node cannot send resets that stream only; the process and the connection go on", async () => {
  const reset = await new Promise<number>((resolve) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/atomix.database.DatabaseService/GetDatabase",
      "content-type": "application/grpc",
    });
    stream.on("error", () => {});
    stream.on("close", () => resolve(stream.rstCode ?? -1));
    stream.end(getDatabase("unsendable"));
  });
  assert.is(reset, constants.NGHTTP2_INTERNAL_ERROR);
  assert.equal(statusOf(await call("/grpc.health.v1.Health/Check", check)), ["0", ""]);
});

test("a caller that resets its stream aborts the call's signal with CANCELED", async () => {
  // CANCEL, and a reset with an error code (Node raises that as an error on the server's stream).
  for (const code of [constants.NGHTTP2_CANCEL, constants.NGHTTP2_INTERNAL_ERROR]) {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const stream = session.request({
      ":method": "POST",
      ":path": "/atomix.database.DatabaseService/GetDatabase",
      "content-type": "application/grpc",
    });
    stream.on("error", () => {});
    stream.end(getDatabase("slow"));
    await started;
    stream.close(code);
    const reason = await slowAborted;
    assert.instance(reason, ConnectError, `reset ${code}`);
    assert.is((reason as ConnectError).code, Code.Canceled, `reset ${code}`);
    assert.equal(
      statusOf(await call("/grpc.health.v1.Health/Check", check)),
      ["0", ""],
      `the server goes on after reset ${code}`,
    );
  }
});

test("other protocols, streaming methods and unknown methods take Connect's path on the same port", async () => {
  const connectJson = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/json",
    });
    let body = "";
    let status = 0;
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("data", (chunk: Buffer) => (body += chunk.toString()));
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, body }));
    stream.end("{}");
  });
  assert.equal(connectJson, { status: 200, body: '{"status":"SERVING"}' });
  const unknown = await call("/grpc.health.v1.Health/Nope", check);
  assert.is(unknown.trailers["grpc-status"] ?? unknown.headers["grpc-status"], "12");
  // Watch is server streaming: its first answer comes, then the stream stays open.
  const first = await new Promise<Buffer>((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Watch",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("data", (chunk: Buffer) => {
      resolve(chunk);
      stream.close(constants.NGHTTP2_CANCEL);
    });
    stream.on("error", reject);
    stream.end(check);
  });
  assert.is(fromBinary(HealthCheckResponseSchema, first.subarray(5)).status, 1);
});

test.run();
