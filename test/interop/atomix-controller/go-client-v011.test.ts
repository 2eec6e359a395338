// github.com/atomix/go-client v0.1.1, which finds databases through
// atomix.controller.ControllerService/GetDatabases, against the controller under its
// ServiceAccount token.
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoProgram, runGoProgram, stepOf } from "../../support/goclient.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../support/kubectl.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const test = suite("interop: go-client v0.1.1");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
let controller: SampleProcess;
let empty: Awaited<ReturnType<typeof freshNamespace>>;
let stored: Awaited<ReturnType<typeof freshNamespace>>;
let binary: string;

const create = (namespace: string, yaml: string) => kubectlOrThrow(admin, ["create", "-n", namespace, "-f", "-"], yaml);
const database = (name: string, storageClass: string, clusters = 1) =>
  `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: ${name}}\nspec: {clusters: ${clusters}, template: {spec: {storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: ${storageClass}}}}}\n`;

test.before(async () => {
  binary = await buildGoProgram("v0.1.1");
  controller = (await startAtomixController("go-011")).controller;
  empty = await freshNamespace(testKubeConfig(), "interop-go-011");
  stored = await freshNamespace(testKubeConfig(), "interop-go-011-stored");
});

test.after(async () => {
  await controller?.stop("SIGKILL");
  await empty?.remove();
  await stored?.remove();
});

test("GetDatabases and GetDatabase through ControllerService", async () => {
  // No storage class: no partitions, so the client opens no session to a storage node.
  await create(empty.name, database("alpha", "absent"));
  await create(empty.name, database("beta", "absent"));
  const args = [
    `--address=127.0.0.1:${controller.port}`,
    `--namespace=${empty.name}`,
    "--database=beta",
    "--missing=gamma",
  ];
  const run = await eventually("both databases listed", async () => {
    const result = await runGoProgram(binary, args);
    return (stepOf(result, "GetDatabases").databases as unknown[]).length === 2 ? result : undefined;
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(stepOf(run, "GetDatabases"), {
    step: "GetDatabases",
    databases: [{ name: "alpha", namespace: empty.name, partitions: 0 }, {
      name: "beta",
      namespace: empty.name,
      partitions: 0,
    }],
    elapsedMs: stepOf(run, "GetDatabases").elapsedMs,
    panic: "",
    error: "",
    code: "",
  });
  const one = stepOf(run, "GetDatabase");
  assert.equal([one.error, one.name, one.namespace, one.partitions], ["", "beta", empty.name, 0]);
  const missing = stepOf(run, "GetDatabase-missing");
  assert.is(missing.found, false);
  assert.match(
    String(missing.error),
    "unknown database gamma",
    "a missing name is an empty list, which the client reports",
  );
});

test("the partitions the client would connect to: one endpoint per partition, the Service's cluster DNS name on 5678", async () => {
  await create(
    stored.name,
    "apiVersion: storage.cloud.atomix.io/v1beta1\nkind: RaftStorageClass\nmetadata: {name: raft}\nspec: {replicas: 1}\n",
  );
  await create(stored.name, database("gamma", "raft", 2));
  await eventually("gamma's 2 partitions", async () => {
    const listed = await kubectl(admin, ["get", "partitions.cloud.atomix.io", "-n", stored.name, "-o", "name"]);
    return listed.stdout.trim().split("\n").filter(Boolean).length === 2;
  });
  // The raw call comes first; the client's own calls then fail to reach the (imageless) storage nodes, which is expected here.
  const run = await runGoProgram(binary, [
    `--address=127.0.0.1:${controller.port}`,
    `--namespace=${stored.name}`,
    "--rpc-timeout=2s",
    "--timeout=20s",
  ], 30_000);
  assert.equal(stepOf(run, "GetDatabases-raw").databases, [
    {
      name: "gamma",
      namespace: stored.name,
      hasId: true,
      partitions: [1, 2].map((p) => ({
        partition: p,
        endpoints: [`gamma-${p}.${stored.name}.svc.cluster.local:5678`],
      })),
    },
  ]);
});

test.run();
