// The API server at its edges, through clients no one here wrote: grpcurl lists and describes
// every service by reflection and calls the API with no .proto files, buf curl uses
// reflection v1alpha, grpc-health-probe and grpc-go read health and UNIMPLEMENTED, and
// malformed or oversized messages get INVALID_ARGUMENT and RESOURCE_EXHAUSTED over gRPC,
// gRPC-Web and Connect. The controller runs under its ServiceAccount with default flags.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoTool, runGoProgram, runTool, stepOf } from "../../support/goclient.ts";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { callHttp1, callHttp2, envelope, openSession, type WireCall } from "../../support/rpc-wire.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("interop: API edges (reflection, health, unimplemented, bad and big messages)");
let controller: SampleProcess;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const tools = { grpcurl: "", healthProbe: "", edges: "" };
const address = () => `127.0.0.1:${controller.port}`;
const services = [
  "atomix.controller.ControllerService",
  "atomix.database.DatabaseService",
  "atomix.membership.MembershipService",
  "atomix.primitive.PrimitiveService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

test.before(async () => {
  [tools.grpcurl, tools.healthProbe, tools.edges] = await Promise.all([
    buildGoTool("grpcurl"),
    buildGoTool("healthProbe"),
    buildGoTool("edges"),
  ]);
  namespace = await freshNamespace(testKubeConfig(), "api-edges");
  controller = (await startAtomixController("api-edges")).controller;
});

test.after(async () => {
  await controller?.stop();
  await namespace?.remove();
});

const grpcurl = (...args: string[]) => runTool(tools.grpcurl, ["-plaintext", ...args]);
const edges = async (...args: string[]) =>
  stepOf(await runGoProgram(tools.edges, [`--address=${address()}`, ...args]), "invoke");

test("grpcurl lists and describes every service by reflection, and calls GetPartitionGroups without .proto files", async () => {
  const listed = await grpcurl(address(), "list");
  assert.is(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout.trim().split("\n"), services);
  for (const service of services) {
    const described = await grpcurl(address(), "describe", service);
    assert.is(described.code, 0, `${service}: ${described.stderr}`);
    assert.match(described.stdout, `${service} is a service:`);
  }
  const message = await grpcurl(address(), "describe", "atomix.controller.PartitionGroupSpec");
  assert.match(
    message.stdout,
    "google.protobuf.Any protocol = 3;",
    "imports (google/protobuf/any.proto) come with the file",
  );
  const created = await grpcurl(
    "-d",
    JSON.stringify({
      id: { name: "g", namespace: namespace.name },
      spec: {
        partitions: 2,
        partitionSize: 1,
        protocol: { "@type": "type.googleapis.com/atomix.protocols.raft.RaftProtocol" },
      },
    }),
    address(),
    "atomix.controller.ControllerService/CreatePartitionGroup",
  );
  assert.is(created.code, 0, created.stderr);
  const got = await grpcurl(
    "-d",
    JSON.stringify({ id: { name: "g", namespace: namespace.name } }),
    address(),
    "atomix.controller.ControllerService/GetPartitionGroups",
  );
  assert.is(got.code, 0, got.stderr);
  const groups = JSON.parse(got.stdout).groups;
  assert.equal(groups.map((g: { id: unknown; partitions: unknown[] }) => [g.id, g.partitions.length]), [[{
    name: "g",
    namespace: namespace.name,
  }, 2]]);
});

test("buf curl finds the API through reflection v1alpha alone, over gRPC and gRPC-Web", async () => {
  for (const protocol of ["grpc", "grpcweb"]) {
    const { stdout } = await run(join(root, "node_modules", ".bin", "buf"), [
      "curl",
      "--reflect-protocol",
      "grpc-v1alpha",
      "--protocol",
      protocol,
      "--http2-prior-knowledge",
      "-d",
      JSON.stringify({ id: { name: "g", namespace: namespace.name } }),
      `http://${address()}/atomix.controller.ControllerService/GetPartitionGroups`,
    ]);
    assert.is(JSON.parse(stdout).groups[0].id.name, "g", protocol);
  }
});

test("grpc-health-probe: SERVING for the server and each service, NOT_FOUND for an unknown one", async () => {
  for (const service of ["", ...services]) {
    const probe = await runTool(tools.healthProbe, [`-addr=${address()}`, `-service=${service}`]);
    assert.is(probe.code, 0, `${service}: ${probe.stdout}${probe.stderr}`);
    assert.match(probe.stdout + probe.stderr, "status: SERVING");
  }
  const unknown = await runTool(tools.healthProbe, [`-addr=${address()}`, "-service=no.such.Service"]);
  assert.is.not(unknown.code, 0);
  assert.match(unknown.stdout + unknown.stderr, "NotFound");
});

test("an unknown service or method is UNIMPLEMENTED: grpc-go reads status 12, gRPC-Web and Connect callers too", async () => {
  assert.equal(await edges("--scenario=invoke", "--method=/no.such.Service/Call"), {
    step: "invoke",
    code: "Unimplemented",
    message: "unknown service no.such.Service",
    responseBytes: 0,
  });
  assert.equal(await edges("--scenario=invoke", "--method=/atomix.controller.ControllerService/NoSuchMethod"), {
    step: "invoke",
    code: "Unimplemented",
    message: "unknown method NoSuchMethod for service atomix.controller.ControllerService",
    responseBytes: 0,
  });
  const base = `http://${address()}`;
  const web = await callHttp1(base, {
    protocol: "grpc-web",
    path: "/no.such.Service/Call",
    body: envelope(new Uint8Array(0)),
    unary: true,
  }, AbortSignal.timeout(10_000));
  assert.equal([web.httpStatus, web.code, web.message], [200, "unimplemented", "unknown service no.such.Service"]);
  const connect = await callHttp1(base, {
    protocol: "connect",
    path: "/atomix.controller.ControllerService/NoSuchMethod",
    body: new TextEncoder().encode("{}"),
    unary: true,
    json: true,
  }, AbortSignal.timeout(10_000));
  assert.equal([connect.httpStatus, connect.code], [404, "unimplemented"]);
});

test("a body that is not protobuf is INVALID_ARGUMENT on every protocol, never internal", async () => {
  assert.equal(
    (await edges(
      "--scenario=invoke",
      "--method=/atomix.controller.ControllerService/GetPartitionGroups",
      "--hex=ffffffff",
    )).code,
    "InvalidArgument",
  );
  const body = Uint8Array.from([0xff, 0xff, 0xff, 0xff]);
  const session = await openSession(`http://${address()}`);
  try {
    for (
      const call of [
        { protocol: "connect", path: "/atomix.database.DatabaseService/GetDatabases", body, unary: true },
        {
          protocol: "grpc-web",
          path: "/atomix.database.DatabaseService/GetDatabases",
          body: envelope(body),
          unary: true,
        },
        {
          protocol: "connect",
          path: "/atomix.membership.MembershipService/JoinGroup",
          body: envelope(body),
          unary: false,
        },
        // An envelope flagged compressed on a call that named no compression.
        {
          protocol: "grpc",
          path: "/atomix.database.DatabaseService/GetDatabases",
          body: envelope(new Uint8Array(0), 1),
          unary: true,
        },
      ] satisfies WireCall[]
    ) {
      const answer = await callHttp2(session, call, AbortSignal.timeout(10_000));
      assert.is(answer.code, "invalid_argument", `${call.protocol} ${call.path}: ${answer.message}`);
      assert.is.not(answer.httpStatus, 500);
    }
  } finally {
    session.close();
  }
});

test("a message over 4 MiB is RESOURCE_EXHAUSTED on every protocol; one just under the limit is read", async () => {
  const over = 4 * 1024 * 1024 + 1;
  const exhausted = await edges(
    "--scenario=invoke",
    "--method=/atomix.database.DatabaseService/GetDatabases",
    `--size=${over}`,
  );
  assert.is(exhausted.code, "ResourceExhausted");
  assert.match(String(exhausted.message), "4194304");
  // Zero bytes are field 0, which protobuf refuses: read whole and found malformed, not too big.
  assert.is(
    (await edges("--scenario=invoke", "--method=/atomix.database.DatabaseService/GetDatabases", `--size=${over - 2}`))
      .code,
    "InvalidArgument",
  );
  const big = new Uint8Array(over);
  for (
    const call of [
      { protocol: "connect", path: "/atomix.database.DatabaseService/GetDatabases", body: big, unary: true },
      { protocol: "grpc-web", path: "/atomix.database.DatabaseService/GetDatabases", body: envelope(big), unary: true },
      {
        protocol: "connect",
        path: "/atomix.membership.MembershipService/JoinGroup",
        body: envelope(big),
        unary: false,
      },
    ] satisfies WireCall[]
  ) {
    const answer = await callHttp1(`http://${address()}`, call, AbortSignal.timeout(30_000));
    assert.is(answer.code, "resource_exhausted", `${call.protocol} ${call.path}: ${answer.message}`);
  }
});

test.run();
