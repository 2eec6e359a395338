// The Database-generation APIs through real clients: curl with Connect JSON over HTTP/1.1
// (unary, and JoinGroup as a Connect server stream) and buf curl over gRPC and gRPC-Web;
// bad requests; and a member whose controller replica is killed does not outlive it.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as assert from "uvu/assert";
import { MembershipService } from "../../../gen/atomix/membership/membership_pb.ts";
import { startAtomixController } from "../../support/atomix.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectl } from "../../support/kubectl.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { curlJson } from "../../support/curl-json.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("interop: database, membership and primitive APIs by curl and buf curl");
const replicas: SampleProcess[] = [];
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const url = (replica: SampleProcess, path: string) => `http://127.0.0.1:${replica.port}/${path}`;

const curl = (path: string, body: unknown, replica = replicas[0]!) => curlJson(url(replica, path), body);

/** A Connect server stream by curl: one enveloped JSON request, the enveloped answers until `seconds` pass. */
async function curlStream(path: string, body: unknown, seconds: number): Promise<Array<{ end: boolean; json: any }>> {
  const payload = Buffer.from(JSON.stringify(body));
  const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), payload]);
  envelope.writeUInt32BE(payload.length, 1);
  const child = spawn("curl", [
    "-sS",
    "--max-time",
    String(seconds),
    "-H",
    "Content-Type: application/connect+json",
    "--data-binary",
    "@-",
    url(replicas[0]!, path),
  ]);
  child.stdin.end(envelope);
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => child.on("close", resolve));
  const out = Buffer.concat(chunks);
  const frames = [];
  for (let offset = 0; offset + 5 <= out.length;) {
    const length = out.readUInt32BE(offset + 1);
    frames.push({
      end: (out[offset]! & 0x02) !== 0,
      json: JSON.parse(out.subarray(offset + 5, offset + 5 + length).toString() || "{}"),
    });
    offset += 5 + length;
  }
  return frames;
}

/** buf curl; a streaming call is cut after `seconds` and its output so far returned. */
async function bufCurl(
  protocol: "grpc" | "grpcweb",
  path: string,
  body: unknown,
  seconds = 20,
): Promise<{ ok: boolean; out: string }> {
  const args = [
    "curl",
    "--schema",
    root,
    "--protocol",
    protocol,
    ...(protocol === "grpc" ? ["--http2-prior-knowledge"] : []),
    "-d",
    JSON.stringify(body),
    url(replicas[0]!, path),
  ];
  // Its own process group: the npm shim runs the real buf as a child, and both must get the signal.
  const child = spawn(join(root, "node_modules", ".bin", "buf"), args, { cwd: root, detached: true });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk));
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGTERM"), seconds * 1000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  return { ok: code === 0, out };
}

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "interop-db-api");
  replicas.push((await startAtomixController("db-api-1")).controller);
  replicas.push((await startAtomixController("db-api-2", "ready")).controller);
  const yaml =
    `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: raft}\nspec: {template: {spec: {storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: absent}}}}\n`;
  const created = await kubectl(admin, ["create", "-n", namespace.name, "-f", "-"], yaml);
  assert.is(created.code, 0, created.stderr);
});

test.after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
  await namespace?.remove();
});

test("curl: GetDatabases, GetDatabase, CreatePrimitive, GetPrimitives (Connect JSON)", async () => {
  const databases = await eventually("the database listed", async () => {
    const answer = await curl("atomix.database.DatabaseService/GetDatabases", { namespace: namespace.name });
    return answer.json.databases?.length === 1 ? answer : undefined;
  });
  assert.equal(databases, { status: 200, json: { databases: [{ id: { name: "raft", namespace: namespace.name } }] } });
  const legacy = await curl("atomix.controller.ControllerService/GetDatabases", { id: { namespace: namespace.name } });
  assert.equal(legacy.json, { databases: [{ id: { name: "raft", namespace: namespace.name } }] });
  const created = await curl("atomix.primitive.PrimitiveService/CreatePrimitive", {
    database: { name: "raft", namespace: namespace.name },
    primitive: { name: "orders", namespace: "shop" },
    type: "MAP",
  });
  const metadata = {
    database: { name: "raft", namespace: namespace.name },
    primitive: { name: "orders", namespace: "shop" },
    type: "MAP",
  };
  assert.equal(created, { status: 200, json: { primitive: metadata } });
  const again = await curl("atomix.primitive.PrimitiveService/CreatePrimitive", { ...metadata });
  assert.equal(again.json, { primitive: metadata }, "creating it again returns it");
  const listed = await curl("atomix.primitive.PrimitiveService/GetPrimitives", {
    database: { namespace: namespace.name },
    type: "MAP",
  }, replicas[1]);
  assert.equal(listed.json, { primitives: [metadata] }, "the other replica sees it");
  const record = await kubectl(admin, ["get", "primitives.cloud.atomix.io", "-n", namespace.name, "-o", "json"]);
  const owner = JSON.parse(record.stdout).items[0].metadata.ownerReferences[0];
  assert.equal([owner.kind, owner.name], ["Database", "raft"], "a Primitive is owned by its Database");
});

test("curl: JoinGroup as a Connect server stream answers the current members at once", async () => {
  const frames = await curlStream("atomix.membership.MembershipService/JoinGroup", {
    groupId: { name: "curl-group", namespace: namespace.name },
    member: { id: { name: "curl-member" }, host: "10.0.0.7", port: 5679 },
  }, 2);
  assert.ok(frames.length >= 1, "at least one answer before the stream was cut");
  assert.equal(frames[0], {
    end: false,
    json: {
      groupId: { name: "curl-group", namespace: namespace.name },
      members: [{ id: { name: "curl-member", namespace: namespace.name }, host: "10.0.0.7", port: 5679 }],
    },
  });
  await eventually("the member to leave once curl hung up", async () => {
    const left = await kubectl(admin, ["get", "members.cloud.atomix.io", "-n", namespace.name, "-o", "name"]);
    return left.stdout.trim() === "";
  });
});

for (const protocol of ["grpc", "grpcweb"] as const) {
  test(`buf curl (${protocol}): GetDatabases, CreatePrimitive and a JoinGroup stream`, async () => {
    const listed = await bufCurl(protocol, "atomix.database.DatabaseService/GetDatabases", {
      namespace: namespace.name,
    });
    assert.ok(listed.ok, listed.out);
    assert.equal(JSON.parse(listed.out), { databases: [{ id: { name: "raft", namespace: namespace.name } }] });
    const created = await bufCurl(protocol, "atomix.primitive.PrimitiveService/CreatePrimitive", {
      database: { name: "raft", namespace: namespace.name },
      primitive: { name: `lock-${protocol}`, namespace: "shop" },
      type: "LOCK",
    });
    assert.ok(created.ok, created.out);
    assert.is(JSON.parse(created.out).primitive.type, "LOCK");
    const joined = await bufCurl(protocol, "atomix.membership.MembershipService/JoinGroup", {
      groupId: { name: `buf-${protocol}`, namespace: namespace.name },
    }, 3);
    const first = joined.out.slice(0, joined.out.indexOf("\n}\n") + 2);
    assert.equal(JSON.parse(first), { groupId: { name: `buf-${protocol}`, namespace: namespace.name } }, joined.out);
  });
}

test("bad requests get INVALID_ARGUMENT, NOT_FOUND or ALREADY_EXISTS naming the field or object", async () => {
  const db = { name: "raft", namespace: namespace.name };
  const cases: Array<[string, unknown, number, string, string]> = [
    ["atomix.database.DatabaseService/GetDatabase", {}, 400, "invalid_argument", "id.name is required"],
    [
      "atomix.database.DatabaseService/GetDatabase",
      { id: { name: "nope", namespace: namespace.name } },
      404,
      "not_found",
      `database ${namespace.name}/nope does not exist`,
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { primitive: { name: "p" }, type: "MAP" },
      400,
      "invalid_argument",
      "database.name is required",
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { database: db, type: "MAP" },
      400,
      "invalid_argument",
      "primitive.name is required",
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { database: db, primitive: { name: "p" } },
      400,
      "invalid_argument",
      "type must be one of COUNTER",
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { database: db, primitive: { name: "p" }, type: 42 },
      400,
      "invalid_argument",
      "type must be one of",
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { database: { name: "nope", namespace: namespace.name }, primitive: { name: "p" }, type: "MAP" },
      404,
      "not_found",
      `database ${namespace.name}/nope does not exist`,
    ],
    [
      "atomix.primitive.PrimitiveService/CreatePrimitive",
      { database: db, primitive: { name: "orders", namespace: "shop" }, type: "COUNTER" },
      409,
      "already_exists",
      "exists with type MAP, not COUNTER",
    ],
    [
      "atomix.primitive.PrimitiveService/GetPrimitive",
      { database: db, primitive: { name: "missing", namespace: "shop" } },
      404,
      "not_found",
      'primitive "missing" (scope "shop")',
    ],
    [
      "atomix.primitive.PrimitiveService/DeletePrimitive",
      { database: db, primitive: { name: "missing" } },
      404,
      "not_found",
      "does not exist",
    ],
    [
      "atomix.membership.MembershipService/JoinGroup",
      { groupId: { name: "" } },
      400,
      "invalid_argument",
      "group_id.name is required",
    ],
  ];
  for (const [path, body, status, code, message] of cases) {
    if (path.endsWith("JoinGroup")) {
      const frames = await curlStream(path, body, 2);
      assert.equal(frames.length, 1, "a refused stream is one end frame");
      assert.is(frames[0]!.json.error.code, code);
      assert.match(frames[0]!.json.error.message, message);
      continue;
    }
    const answer = await curl(path, body);
    assert.is(answer.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.json)}`);
    assert.is(answer.json.code, code);
    assert.match(answer.json.message, message);
  }
  const deleted = await curl("atomix.primitive.PrimitiveService/DeletePrimitive", {
    database: db,
    primitive: { name: "orders", namespace: "shop" },
  });
  assert.is(deleted.json.primitive.type, "MAP");
  for (const replica of replicas) {
    assert.is(replica.process.exitCode, null, "the controller survived every bad request");
  }
});

test("a member whose controller replica is killed is removed by the other replica; observers see it go", async () => {
  const [first, second] = replicas as [SampleProcess, SampleProcess];
  const member = new AbortController();
  const joined = createClient(MembershipService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${second.port}` }))
    .joinGroup(
      { groupId: { name: "crash", namespace: namespace.name }, member: { id: { name: "doomed" }, host: "h", port: 1 } },
      { signal: member.signal },
    );
  const memberDone = (async () => {
    try {
      for await (const _ of joined);
    } catch {
      // cut by the kill
    }
  })();
  const seen: string[] = [];
  const observer = new AbortController();
  const observing = (async () => {
    try {
      const stream = createClient(MembershipService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${first.port}` }))
        .joinGroup({ groupId: { name: "crash", namespace: namespace.name } }, { signal: observer.signal });
      for await (const answer of stream) seen.push(answer.members.map((m) => m.id!.name).join(","));
    } catch {
      // aborted
    }
  })();
  await eventually("the observer to see the member", () => seen.at(-1) === "doomed");
  await second.stop("SIGKILL");
  await memberDone;
  await eventually("the stale member swept and the observer told", () => seen.at(-1) === "", { timeoutMs: 45_000 });
  observer.abort();
  await observing;
  assert.equal(seen.filter((list, i) => i === 0 || list !== seen[i - 1]), seen, "never the same list twice in a row");
  const left = await kubectl(admin, ["get", "members.cloud.atomix.io", "-n", namespace.name, "-o", "name"]);
  assert.is(left.stdout.trim(), "");
});

test.run();
