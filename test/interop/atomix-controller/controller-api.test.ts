// atomix.controller.ControllerService through real clients: curl with Connect JSON over
// HTTP/1.1, and buf curl over gRPC (h2c) and gRPC-Web, against the controller running under
// its ServiceAccount token.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { curlJson } from "../../support/curl-json.ts";
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import type { SampleProcess } from "../../support/sample.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("interop: ControllerService by curl and buf curl");
let controller: SampleProcess;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const service = "atomix.controller.ControllerService";

const raftProtocol = {
  "@type": "type.googleapis.com/atomix.protocols.raft.RaftProtocol",
  electionTimeout: "5s",
  heartbeatInterval: "0.500s",
};

const curl = (method: string, body: unknown) =>
  curlJson(`http://127.0.0.1:${controller.port}/${service}/${method}`, body);

async function bufCurl(
  protocol: "grpc" | "grpcweb",
  method: string,
  body: unknown,
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
    `http://127.0.0.1:${controller.port}/${service}/${method}`,
  ];
  try {
    const { stdout } = await run(join(root, "node_modules", ".bin", "buf"), args, { cwd: root });
    return { ok: true, out: stdout };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
  }
}

test.before(async () => {
  controller = (await startAtomixController("atomix-interop")).controller;
  namespace = await freshNamespace(testKubeConfig(), "interop-api");
});

test.after(async () => {
  await controller?.stop();
  await namespace?.remove();
});

test("curl (Connect JSON, HTTP/1.1): GetPartitionGroups and CreatePartitionGroup", async () => {
  const empty = await curl("GetPartitionGroups", { id: { namespace: namespace.name } });
  assert.equal(empty, { status: 200, json: {} });
  const created = await curl("CreatePartitionGroup", {
    id: { name: "raft", namespace: namespace.name },
    spec: { partitions: 3, partitionSize: 1, protocol: raftProtocol },
  });
  assert.equal(created, { status: 200, json: {} });
  const listed = await curl("GetPartitionGroups", { id: { name: "raft", namespace: namespace.name } });
  assert.is(listed.status, 200);
  assert.equal(listed.json.groups, [
    {
      id: { name: "raft", namespace: namespace.name },
      spec: {
        partitions: 3,
        partitionSize: 1,
        protocol: { "@type": raftProtocol["@type"], electionTimeout: "5s", heartbeatInterval: "0.500s" },
      },
      partitions: [1, 2, 3].map((i) => ({ partitionId: i, endpoints: [{ host: `raft-${i}`, port: 5678 }] })),
    },
  ]);
  // The controller makes it real: kubectl sees the group's partitions.
  await eventually("the group's partitions", async () => {
    const names = await kubectlOrThrow(process.env.KUBECONFIG_FOR_TESTS!, [
      "get",
      "partitions.k8s.atomix.io",
      "-n",
      namespace.name,
      "-o",
      "name",
    ]);
    return names.trim().split("\n").length === 3;
  });
  const again = await curl("CreatePartitionGroup", {
    id: { name: "raft", namespace: namespace.name },
    spec: { partitions: 3, partitionSize: 1, protocol: raftProtocol },
  });
  assert.equal(again, { status: 200, json: {} }, "creating the same group again succeeds");
});

test("curl: bad requests get the right code and a message naming the field", async () => {
  const cases: Array<[string, unknown, number, string, string]> = [
    [
      "CreatePartitionGroup",
      { spec: { partitions: 1, protocol: raftProtocol } },
      400,
      "invalid_argument",
      "id.name is required",
    ],
    [
      "CreatePartitionGroup",
      { id: { name: "x", namespace: namespace.name }, spec: { partitions: 0, protocol: raftProtocol } },
      400,
      "invalid_argument",
      "spec.partitions must be from 1 to 1024, got 0",
    ],
    [
      "CreatePartitionGroup",
      { id: { name: "x", namespace: namespace.name }, spec: { partitions: 1 } },
      400,
      "invalid_argument",
      "spec.protocol is required",
    ],
    [
      "CreatePartitionGroup",
      { id: { name: "Bad_Name" }, spec: { partitions: 1, protocol: raftProtocol } },
      400,
      "invalid_argument",
      'id.name "Bad_Name" must be a lowercase DNS label',
    ],
    [
      "CreatePartitionGroup",
      {
        id: { name: "raft", namespace: namespace.name },
        spec: { partitions: 5, partitionSize: 1, protocol: raftProtocol },
      },
      409,
      "already_exists",
      `partition group ${namespace.name}/raft exists with a different spec`,
    ],
    [
      "DeletePartitionGroup",
      { id: { name: "missing", namespace: namespace.name } },
      404,
      "not_found",
      `partition group ${namespace.name}/missing does not exist`,
    ],
    ["DeletePartitionGroup", {}, 400, "invalid_argument", "id.name is required"],
    ["GetDatabases", { id: { name: "Not A Name" } }, 400, "invalid_argument", "id.name"],
  ];
  for (const [method, body, status, code, message] of cases) {
    const answer = await curl(method, body);
    assert.is(answer.status, status, `${method} ${JSON.stringify(body)}`);
    assert.is(answer.json.code, code);
    assert.match(answer.json.message, message);
  }
  const unknownType = await curl("CreatePartitionGroup", {
    id: { name: "x", namespace: namespace.name },
    spec: { partitions: 1, protocol: { "@type": "type.googleapis.com/google.protobuf.Empty" } },
  });
  assert.is(unknownType.status, 400);
  assert.is(unknownType.json.code, "invalid_argument");
  assert.is(controller.process.exitCode, null, "the controller survived every bad request");
});

for (const protocol of ["grpc", "grpcweb"] as const) {
  test(`buf curl (${protocol}): CreatePartitionGroup and GetPartitionGroups`, async () => {
    const name = `group-${protocol}`;
    const created = await bufCurl(protocol, "CreatePartitionGroup", {
      id: { name, namespace: namespace.name },
      spec: {
        partitions: 2,
        partitionSize: 3,
        protocol: {
          "@type": "type.googleapis.com/atomix.protocols.log.LogProtocol",
          memberGroupStrategy: "RACK_AWARE",
        },
      },
    });
    assert.ok(created.ok, created.out);
    const listed = await bufCurl(protocol, "GetPartitionGroups", { id: { name, namespace: namespace.name } });
    assert.ok(listed.ok, listed.out);
    const group = JSON.parse(listed.out).groups[0];
    assert.equal(group.spec, {
      partitions: 2,
      partitionSize: 3,
      protocol: { "@type": "type.googleapis.com/atomix.protocols.log.LogProtocol", memberGroupStrategy: "RACK_AWARE" },
    });
    assert.equal(group.partitions.map((p: { endpoints: Array<{ host: string }> }) => p.endpoints[0]!.host), [
      `${name}-1`,
      `${name}-2`,
    ]);
    const missing = await bufCurl(protocol, "DeletePartitionGroup", {
      id: { name: "nope", namespace: namespace.name },
    });
    assert.not.ok(missing.ok);
    assert.match(missing.out, "not_found");
  });
}

test("DeletePartitionGroup removes the group and GetPartitionGroups stops listing it", async () => {
  const deleted = await curl("DeletePartitionGroup", { id: { name: "raft", namespace: namespace.name } });
  assert.equal(deleted, { status: 200, json: {} });
  const listed = await curl("GetPartitionGroups", { id: { namespace: namespace.name } });
  assert.equal(listed.json.groups.map((g: { id: { name: string } }) => g.id.name), ["group-grpc", "group-grpcweb"]);
});

test.run();
