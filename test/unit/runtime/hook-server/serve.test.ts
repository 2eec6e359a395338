// The hook server as data in, data out: Metacontroller's webhook JSON in, each Atomix
// function's answer out, and clear 4xx/5xx answers for what cannot be served.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { controllers } from "../../../../functions/atomix-controller/controllers.ts";
import { controller, inProcess, type SyncRequest } from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../../runtime/kube/objects.ts";
import { hookApp } from "../../../../runtime/hook-server/serve.ts";

const app = hookApp(controllers);
const post = async (path: string, body: unknown, target = app) => {
  const response = await target.fetch(
    new Request(`http://hooks${path}`, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const object = (
  apiVersion: string,
  kindName: string,
  name: string,
  spec: unknown,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion,
  kind: kindName,
  metadata: { name, namespace: "ns", uid: `${name}-uid`, generation: 1 },
  spec,
  ...extra,
});
const raftClass = object("storage.cloud.atomix.io/v1beta1", "RaftStorageClass", "raft", { replicas: 3 });
const database = object("cloud.atomix.io/v1beta2", "Database", "db", {
  clusters: 1,
  template: {
    spec: {
      partitions: 2,
      storage: { group: "storage.cloud.atomix.io", version: "v1beta1", kind: "RaftStorageClass", name: "raft" },
    },
  },
});
/** One request per Atomix controller, as Metacontroller would send it. */
const requests: Record<string, SyncRequest> = {
  "partition-groups": {
    parent: object("k8s.atomix.io/v1alpha1", "PartitionGroup", "g", { partitions: 2, partitionSize: 1, raft: {} }),
    children: {},
    related: {},
    finalizing: false,
  },
  partitions: {
    parent: object("k8s.atomix.io/v1alpha1", "Partition", "g-1", {
      group: "g",
      partitionId: 1,
      partitionSize: 3,
      raft: {},
    }),
    children: {},
    related: {},
    finalizing: false,
  },
  databases: {
    parent: database,
    children: {},
    related: { "RaftStorageClass.storage.cloud.atomix.io/v1beta1": { "ns/raft": raftClass } },
    finalizing: false,
  },
  "database-partitions": {
    parent: object("cloud.atomix.io/v1beta2", "Partition", "db-1", { database: "db", cluster: 1, partitionId: 1 }),
    children: {},
    related: {},
    finalizing: false,
  },
  "raft-storage": {
    parent: database,
    children: {},
    related: { "RaftStorageClass.storage.cloud.atomix.io/v1beta1": { "ns/raft": raftClass } },
    finalizing: false,
  },
};
const metacontrollerResponseFields = ["status", "children", "resyncAfterSeconds", "finalized"];

for (const definition of controllers) {
  test(`POST /${definition.name}/sync answers what the function answers, in Metacontroller's fields`, async () => {
    const request = requests[definition.name];
    assert.ok(request, `a sample request for ${definition.name}`);
    const { status, body } = await post(`/${definition.name}/sync`, {
      controller: { metadata: { name: "any" } },
      ...request,
    });
    assert.is(status, 200, JSON.stringify(body));
    assert.equal(
      body,
      JSON.parse(JSON.stringify(inProcess(definition.sync, definition.name)(structuredClone(request!)))),
    );
    for (const field of Object.keys(body)) {
      assert.ok(metacontrollerResponseFields.includes(field), `unexpected response field ${field}`);
    }
  });
}

test("customize answers relatedResources as Metacontroller's ResourceRules", async () => {
  const { status, body } = await post("/partitions/customize", {
    parent: object("k8s.atomix.io/v1alpha1", "Partition", "g-1", { raft: { storage: { className: "fast" } } }),
  });
  assert.is(status, 200);
  assert.equal(body, {
    relatedResources: [{ apiVersion: "storage.k8s.io/v1", resource: "storageclasses", names: ["fast"] }],
  });
  const selected = await post("/partition-groups/customize", { parent: requests["partition-groups"]!.parent });
  assert.equal(selected.body, {
    relatedResources: [{
      apiVersion: "v1",
      resource: "services",
      // Said outright: a rule without a namespace reaches every namespace in version v2.
      namespace: requests["partition-groups"]!.parent.metadata.namespace,
      labelSelector: { matchLabels: { app: "atomix", type: "partition", group: "g" } },
    }],
  });
});

const badRequests: Array<[string, string, unknown, number, RegExp]> = [
  ["a body that is not JSON", "/partition-groups/sync", "{not json", 400, /not JSON/],
  ["a JSON array", "/partition-groups/sync", "[]", 400, /must be a JSON object/],
  ["no parent", "/partition-groups/sync", { children: {} }, 400, /parent must be an object/],
  [
    "a parent without a name",
    "/partition-groups/sync",
    { parent: { apiVersion: "k8s.atomix.io/v1alpha1", kind: "PartitionGroup", metadata: {} } },
    400,
    /parent\.metadata\.name/,
  ],
  [
    "a parent of another kind",
    "/partition-groups/sync",
    { parent: database },
    400,
    /Database.cloud.atomix.io\/v1beta2; controller partition-groups syncs PartitionGroup/,
  ],
  [
    "children that are not grouped",
    "/partition-groups/sync",
    { ...requests["partition-groups"], children: [] },
    400,
    /children must be an object/,
  ],
  [
    "finalizing that is not a boolean",
    "/partition-groups/sync",
    { ...requests["partition-groups"], finalizing: "yes" },
    400,
    /finalizing/,
  ],
  [
    "results that are not an object",
    "/partition-groups/sync",
    { ...requests["partition-groups"], results: [] },
    400,
    /results must be an object of action results by id/,
  ],
  ["an unknown controller", "/nobody/sync", requests["partition-groups"], 404, /no controller "nobody"/],
  [
    "finalize on a controller without a finalize hook",
    "/partition-groups/finalize",
    requests["partition-groups"],
    404,
    /no finalize hook/,
  ],
];
for (const [name, path, body, status, message] of badRequests) {
  test(`${name} is answered ${status} with a message`, async () => {
    const answer = await post(path, body);
    assert.is(answer.status, status);
    assert.match(answer.body.error, message);
  });
}

const Widget = kind("example.com/v1", "Widget", "widgets");
const widget = object("example.com/v1", "Widget", "w", {});
const failing = hookApp([
  controller({
    name: "widgets",
    parent: Widget,
    children: [builtinKinds.ConfigMap],
    sync: ({ parent }) => {
      if ((parent.spec as { mode?: string }).mode === "throw") throw new Error("boom");
      return { children: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }] };
    },
    finalize: () => ({ finalized: true }),
  }),
], { maxBodyBytes: 1024 });

test("a function that throws is answered 500 with its message; an invalid answer 500 naming the problem", async () => {
  const thrown = await post("/sync", { parent: { ...widget, spec: { mode: "throw" } } }, failing);
  assert.is(thrown.status, 500);
  assert.is(thrown.body.error, "sync failed: boom");
  const invalid = await post("/widgets/sync", { parent: widget }, failing);
  assert.is(invalid.status, 500);
  assert.match(invalid.body.error, /Secret.v1, which controller widgets does not declare as a child/);
});

test("the results of the function's actions reach it, as they do in-process", async () => {
  const echo = hookApp([
    controller({
      name: "echo",
      parent: Widget,
      children: [],
      sync: ({ results }) => ({ status: { seen: Object.keys(results ?? {}) } }),
    }),
  ]);
  const result = {
    id: "ping-1",
    pod: "p",
    command: ["true"],
    phase: "Succeeded",
    attempt: 1,
    stdout: "pong\n",
    stderr: "",
    truncated: false,
    timedOut: false,
    exitCode: 0,
  };
  const answer = await post("/sync", { parent: widget, results: { "ping-1": result } }, echo);
  assert.equal([answer.status, answer.body.status], [200, { seen: ["ping-1"] }]);
  assert.equal((await post("/sync", { parent: widget }, echo)).body.status, { seen: [] });
});

test("a controller without related objects customizes to none", async () => {
  assert.equal((await post("/customize", { parent: widget }, failing)).body, { relatedResources: [] });
});

test("finalize answers finalized; a body over the limit is refused 413 unread", async () => {
  assert.equal((await post("/finalize", { parent: widget }, failing)).body, { finalized: true });
  const large = await post("/sync", { parent: widget, padding: "x".repeat(4096) }, failing);
  assert.is(large.status, 413);
  assert.match(large.body.error, /larger than 1024 bytes/);
});

test("metrics count requests per hook, controller and status code", async () => {
  const metricsApp = hookApp(controllers);
  await post("/partition-groups/sync", requests["partition-groups"], metricsApp);
  await post("/partition-groups/sync", "{", metricsApp);
  const text = await (await metricsApp.fetch(new Request("http://hooks/metrics"))).text();
  assert.match(
    text,
    /metacontroller_sync_requests_total\{code="200",method="POST",controller_name="partition-groups"\} 1|metacontroller_sync_requests_total\{[^}]*code="200"[^}]*\} 1/,
  );
  assert.match(text, /metacontroller_sync_requests_total\{[^}]*code="400"[^}]*\} 1/);
  assert.match(
    text,
    /metacontroller_sync_request_duration_histogram_seconds_count\{[^}]*controller_name="partition-groups"[^}]*\} 2/,
  );
});

test.run();
