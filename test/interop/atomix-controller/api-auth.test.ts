// --api-auth=kubernetes against the real control plane: the controller (under its
// ServiceAccount, whose ClusterRole may create TokenReviews and SubjectAccessReviews) checks
// each caller's bearer token and what each RPC does. A ServiceAccount bound to a Role that
// allows only "list databases" may call GetDatabases but not CreatePartitionGroup; one bound
// to cluster-admin may do both; no token is UNAUTHENTICATED. Through grpcurl (gRPC), curl
// (Connect), buf curl (gRPC-Web), the era-a and v0.4.1 Go clients with the token as per-RPC
// credentials, and the same checks on Deno for Connect and gRPC-Web.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoProgram, buildGoTool, runGoProgram, runTool, stepOf } from "../../support/goclient.ts";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("interop: --api-auth=kubernetes");
const controllers: Record<"node" | "deno", SampleProcess | undefined> = { node: undefined, deno: undefined };
const tokens = { reader: "", admin: "" };
const binaries = { grpcurl: "", eraA: "", v041: "" };
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const k = (...args: string[]) => kubectlOrThrow(admin, args);

test.before(async () => {
  [binaries.grpcurl, binaries.eraA, binaries.v041] = await Promise.all([
    buildGoTool("grpcurl"),
    buildGoProgram("era-a"),
    buildGoProgram("v0.4.1"),
  ]);
  namespace = await freshNamespace(testKubeConfig(), "api-auth");
  const ns = namespace.name;
  // First: it installs the CRDs that the Role below names (kubectl looks the resource up).
  controllers.node =
    (await startAtomixController("api-auth", "leader", { args: ["--api-auth=kubernetes"] })).controller;
  await k("create", "serviceaccount", "reader", "-n", ns);
  await k("create", "role", "database-reader", "-n", ns, "--verb=list", "--resource=databases.cloud.atomix.io");
  await k(
    "create",
    "rolebinding",
    "database-reader",
    "-n",
    ns,
    "--role=database-reader",
    `--serviceaccount=${ns}:reader`,
  );
  await k("create", "serviceaccount", "admin", "-n", ns);
  await k("create", "clusterrolebinding", `${ns}-admin`, "--clusterrole=cluster-admin", `--serviceaccount=${ns}:admin`);
  tokens.reader = (await k("create", "token", "reader", "-n", ns)).trim();
  tokens.admin = (await k("create", "token", "admin", "-n", ns)).trim();
});

test.after(async () => {
  await Promise.all(Object.values(controllers).map((controller) => controller?.stop()));
  await kubectlOrThrow(admin, ["delete", "clusterrolebinding", `${namespace?.name}-admin`, "--ignore-not-found"]).catch(
    () => undefined,
  );
  await namespace?.remove();
});

const bearer = (token: string) => `authorization: Bearer ${token}`;
const createGroup = (name: string) => ({
  id: { name, namespace: namespace.name },
  spec: {
    partitions: 1,
    partitionSize: 1,
    protocol: { "@type": "type.googleapis.com/atomix.protocols.raft.RaftProtocol" },
  },
});
const denial = () =>
  `user "system:serviceaccount:${namespace.name}:reader" may not create partitiongroups.k8s.atomix.io in namespace "${namespace.name}"`;

/** grpcurl, given the .proto file `proto` when set (reflection itself needs a valid token). */
async function grpcurl(token: string | undefined, method: string, body: unknown, proto?: string) {
  const port = controllers.node!.port;
  const schema = proto
    ? ["-import-path", join(root, "proto"), "-import-path", join(root, "runtime", "proto"), "-proto", proto]
    : [];
  return runTool(binaries.grpcurl, [
    "-plaintext",
    ...schema,
    ...(token === undefined ? [] : ["-H", bearer(token)]),
    "-d",
    JSON.stringify(body),
    `127.0.0.1:${port}`,
    method,
  ]);
}

async function curl(
  runtime: "node" | "deno",
  token: string | undefined,
  method: string,
  body: unknown,
): Promise<{ status: number; json: any }> {
  const { stdout } = await run("curl", [
    "-sS",
    "-H",
    "Content-Type: application/json",
    ...(token === undefined ? [] : ["-H", bearer(token)]),
    "-d",
    JSON.stringify(body),
    "-w",
    "\n%{http_code}",
    `http://127.0.0.1:${controllers[runtime]!.port}/${method}`,
  ]);
  const newline = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(newline + 1)), json: JSON.parse(stdout.slice(0, newline) || "{}") };
}

async function bufCurlWeb(
  runtime: "node" | "deno",
  token: string,
  method: string,
  body: unknown,
): Promise<{ ok: boolean; out: string }> {
  const args = [
    "curl",
    "--schema",
    root,
    "--protocol",
    "grpcweb",
    "-H",
    bearer(token),
    "-d",
    JSON.stringify(body),
    `http://127.0.0.1:${controllers[runtime]!.port}/${method}`,
  ];
  try {
    return { ok: true, out: (await run(join(root, "node_modules", ".bin", "buf"), args, { cwd: root })).stdout };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
  }
}

test("grpcurl: no token or a bad token is UNAUTHENTICATED; health needs none", async () => {
  const none = await grpcurl(
    undefined,
    "atomix.database.DatabaseService/GetDatabases",
    { namespace: namespace.name },
    "atomix/database/database.proto",
  );
  assert.match(none.stderr, "Code: Unauthenticated");
  assert.match(none.stderr, "no bearer token");
  const bad = await grpcurl("not-a-token", "atomix.database.DatabaseService/GetDatabases", {
    namespace: namespace.name,
  }, "atomix/database/database.proto");
  assert.match(bad.stderr, "Code: Unauthenticated");
  assert.match(bad.stderr, "the bearer token was not accepted");
  const listed = await runTool(binaries.grpcurl, ["-plaintext", `127.0.0.1:${controllers.node!.port}`, "list"]);
  assert.match(listed.stderr, "Unauthenticated", "reflection needs a valid token");
  const health = await grpcurl(undefined, "grpc.health.v1.Health/Check", {}, "grpc/health/v1/health.proto");
  assert.is(health.code, 0, health.stderr);
  assert.match(health.stdout, "SERVING");
});

test("grpcurl: the reader may list databases but not create partition groups; the admin may do both", async () => {
  const listed = await grpcurl(tokens.reader, "atomix.database.DatabaseService/GetDatabases", {
    namespace: namespace.name,
  });
  assert.is(listed.code, 0, listed.stderr);
  const denied = await grpcurl(
    tokens.reader,
    "atomix.controller.ControllerService/CreatePartitionGroup",
    createGroup("by-reader"),
  );
  assert.match(denied.stderr, "Code: PermissionDenied");
  assert.match(denied.stderr, denial());
  const elsewhere = await grpcurl(tokens.reader, "atomix.database.DatabaseService/GetDatabases", {
    namespace: "kube-system",
  });
  assert.match(
    elsewhere.stderr,
    'may not list databases.cloud.atomix.io in namespace "kube-system"',
    "the Role is namespaced",
  );
  assert.is(
    (await grpcurl(tokens.admin, "atomix.database.DatabaseService/GetDatabases", { namespace: namespace.name })).code,
    0,
  );
  const created = await grpcurl(
    tokens.admin,
    "atomix.controller.ControllerService/CreatePartitionGroup",
    createGroup("by-admin"),
  );
  assert.is(created.code, 0, created.stderr);
  const services = await runTool(binaries.grpcurl, [
    "-plaintext",
    "-H",
    bearer(tokens.reader),
    `127.0.0.1:${controllers.node!.port}`,
    "list",
  ]);
  assert.match(services.stdout, "atomix.controller.ControllerService", "any valid token may use reflection");
});

for (const runtime of ["node", "deno"] as const) {
  test(`${runtime}: Connect (curl) and gRPC-Web (buf curl) get the same answers`, async () => {
    if (runtime === "deno") {
      controllers.deno =
        (await startAtomixController("api-auth-deno", "ready", { args: ["--api-auth=kubernetes"], runtime: "deno" }))
          .controller;
    }
    const none = await curl(runtime, undefined, "atomix.database.DatabaseService/GetDatabases", {
      namespace: namespace.name,
    });
    assert.equal([none.status, none.json.code], [401, "unauthenticated"]);
    assert.equal(
      (await curl(runtime, tokens.reader, "atomix.database.DatabaseService/GetDatabases", {
        namespace: namespace.name,
      })).status,
      200,
    );
    const denied = await curl(
      runtime,
      tokens.reader,
      "atomix.controller.ControllerService/CreatePartitionGroup",
      createGroup(`by-reader-${runtime}`),
    );
    assert.equal([denied.status, denied.json.code, denied.json.message], [403, "permission_denied", denial()]);
    assert.equal(
      (await curl(
        runtime,
        tokens.admin,
        "atomix.controller.ControllerService/CreatePartitionGroup",
        createGroup(`curl-${runtime}`),
      )).status,
      200,
    );
    const webListed = await bufCurlWeb(runtime, tokens.reader, "atomix.database.DatabaseService/GetDatabases", {
      namespace: namespace.name,
    });
    assert.ok(webListed.ok, webListed.out);
    const webDenied = await bufCurlWeb(
      runtime,
      tokens.reader,
      "atomix.controller.ControllerService/CreatePartitionGroup",
      createGroup(`web-${runtime}`),
    );
    assert.not.ok(webDenied.ok);
    assert.match(webDenied.out, "permission_denied");
    assert.ok(
      (await bufCurlWeb(
        runtime,
        tokens.admin,
        "atomix.controller.ControllerService/CreatePartitionGroup",
        createGroup(`web-${runtime}`),
      )).ok,
    );
  });
}

test("deno: reflection (a Connect stream, sent half-duplex over HTTP/1.1) needs a valid token; health needs none", async () => {
  const request = new TextEncoder().encode(JSON.stringify({ listServices: "" }));
  const body = new Uint8Array(5 + request.byteLength);
  new DataView(body.buffer).setUint32(1, request.byteLength);
  body.set(request, 5);
  const reflect = async (token?: string) => {
    const response = await fetch(
      `http://127.0.0.1:${controllers.deno!.port}/grpc.reflection.v1.ServerReflection/ServerReflectionInfo`,
      {
        method: "POST",
        headers: { "content-type": "application/connect+json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      },
    );
    return new TextDecoder().decode(await response.arrayBuffer());
  };
  assert.match(await reflect(), '"code":"unauthenticated"');
  const listed = await reflect(tokens.reader);
  for (
    const service of [
      "atomix.controller.ControllerService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1alpha.ServerReflection",
    ]
  ) assert.match(listed, `{"name":"${service}"}`);
  const health = await curl("deno", undefined, "grpc.health.v1.Health/Check", {
    service: "atomix.database.DatabaseService",
  });
  assert.equal(health, { status: 200, json: { status: "SERVING" } });
});

test("the era-a client, given the admin token as per-RPC credentials, passes its groups scenario; without it, it is refused", async () => {
  const address = `--addresses=127.0.0.1:${controllers.node!.port}`;
  const refused = await runGoProgram(binaries.eraA, [
    address,
    `--namespace=${namespace.name}`,
    "--scenario=groups",
    "--group=era-a",
  ]);
  assert.match(String(stepOf(refused, "GetGroups").error), "Unauthenticated");
  const passed = await runGoProgram(binaries.eraA, [
    address,
    `--namespace=${namespace.name}`,
    "--scenario=groups",
    "--group=era-a",
    `--token=${tokens.admin}`,
  ]);
  assert.is(passed.code, 0, passed.stderr);
  const group = { namespace: namespace.name, name: "era-a", partitions: 3, partitionSize: 1 };
  assert.equal(stepOf(passed, "CreateGroup"), { step: "CreateGroup", error: "", group });
  assert.equal(stepOf(passed, "GetGroup"), { step: "GetGroup", error: "", group });
  assert.equal(stepOf(passed, "DeleteGroup"), { step: "DeleteGroup", error: "" });
});

test("the v0.4.1 client, given the admin token as per-RPC credentials, joins and lists databases", async () => {
  await kubectlOrThrow(
    admin,
    ["create", "-n", namespace.name, "-f", "-"],
    `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: alpha}\nspec: {template: {spec: {storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: absent}}}}\n`,
  );
  const args = [
    `--address=127.0.0.1:${controllers.node!.port}`,
    `--namespace=${namespace.name}`,
    "--scenario=databases",
    "--scope=interop",
    "--database=alpha",
    "--missing=gamma",
  ];
  // Without a token JoinGroup is refused; the client prints that and New times out waiting to join.
  const refused = await runGoProgram(binaries.v041, [...args, "--join-timeout=3s"]);
  assert.match(String(stepOf(refused, "New").error), "join timed out");
  const passed = await runGoProgram(binaries.v041, [...args, `--token=${tokens.admin}`]);
  assert.is(passed.code, 0, passed.stderr);
  assert.is(stepOf(passed, "New").error, "", "client.New joined: JoinGroup carried the token");
  assert.equal(stepOf(passed, "GetDatabases").databases, [`${namespace.name}/alpha`]);
  assert.is(stepOf(passed, "GetDatabase-missing").code, "NotFound");
});

test.run();
