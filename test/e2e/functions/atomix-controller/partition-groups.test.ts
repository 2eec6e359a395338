// The partition-group flow a user runs, by kubectl, against the real control plane, with
// the Atomix controller running as a process under its ServiceAccount's own token (so the
// ClusterRole in deploy/atomix-controller.yaml is what it gets).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "../../../support/suite.ts";
import * as assert from "uvu/assert";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import { startAtomixController } from "../../../support/atomix.ts";
import type { SampleProcess } from "../../../support/sample.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: partition groups by kubectl");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let controller: SampleProcess;
let scratch: string;

const k = (...args: string[]) => kubectlOrThrow(admin, args);
const ns = () => namespace.name;
const names = async (resource: string) =>
  (await k("get", resource, "-n", ns(), "-o", "jsonpath={.items[*].metadata.name}")).split(" ").filter(Boolean).sort();
const json = async (...args: string[]) => JSON.parse(await k(...args, "-n", ns(), "-o", "json"));

test.before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "e2e-pg-"));
  const started = await startAtomixController("atomix-e2e");
  controller = started.controller;
  const whoami = await kubectl(started.serviceAccountKubeconfig, [
    "auth",
    "whoami",
    "-o",
    "jsonpath={.status.userInfo.username}",
  ]);
  assert.is(whoami.stdout, "system:serviceaccount:kube-system:atomix-controller");
  namespace = await freshNamespace(testKubeConfig(), "e2e-pg");
});

test.after(async () => {
  await controller?.stop();
  await namespace?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

test("kubectl create -f raft.yaml yields the group, 3 partitions, 3 StatefulSets of 3 Running pods and the Services", async () => {
  const started = performance.now();
  await k("create", "-n", ns(), "-f", join(root, "deploy", "examples", "raft.yaml"));
  assert.equal(await names("partitiongroups"), ["raft"]);
  await eventually("3 partitions", async () => (await names("partitions.k8s.atomix.io")).length === 3);
  assert.equal(await names("partitions.k8s.atomix.io"), ["raft-1", "raft-2", "raft-3"]);
  const pods = await eventually("9 Running and Ready pods", async () => {
    const list = await json("get", "pods", "-l", "app=atomix");
    const ready = list.items.filter(
      (pod: any) =>
        pod.status.phase === "Running" &&
        pod.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
    );
    return ready.length === 9 ? ready : undefined;
  }, { timeoutMs: 120_000 });
  const readyMs = performance.now() - started;
  console.log(`   kubectl create -f raft.yaml to all 9 pods Ready: ${(readyMs / 1000).toFixed(1)} s`);
  assert.is(pods.length, 9);

  const sets = await json("get", "statefulsets");
  assert.equal(sets.items.map((s: any) => [s.metadata.name, s.spec.replicas]).sort(), [["raft-1", 3], ["raft-2", 3], [
    "raft-3",
    3,
  ]]);
  const services = await json("get", "services");
  const ports = Object.fromEntries(
    services.items.map((s: any) => [s.metadata.name, s.spec.ports.map((p: any) => p.port)]),
  );
  assert.equal(ports, {
    raft: [5678],
    "raft-1": [5678],
    "raft-1-hs": [5678, 5679],
    "raft-2": [5678],
    "raft-2-hs": [5678, 5679],
    "raft-3": [5678],
    "raft-3-hs": [5678, 5679],
  });
  const group = await eventually("the group to report 3 ready partitions", async () => {
    const g = await json("get", "partitiongroup", "raft");
    return g.status?.readyPartitions === 3 ? g : undefined;
  });
  assert.is(group.status.conditions[0].status, "True");
  const printed = await k("get", "partitiongroups", "-n", ns());
  assert.match(printed, /raft\s+3\s+3\s+3\s+/, "printer columns: partitions, size, ready");

  // DNS SRV for _api._tcp.raft.<ns>.svc comes from this slice: one address per partition Service.
  const slice = await json("get", "endpointslice", "raft");
  const clusterIPs = Object.fromEntries(services.items.map((s: any) => [s.metadata.name, s.spec.clusterIP]));
  assert.equal(
    slice.endpoints.map((e: any) => [e.hostname, e.addresses[0]]).sort(),
    [["raft-1", clusterIPs["raft-1"]], ["raft-2", clusterIPs["raft-2"]], ["raft-3", clusterIPs["raft-3"]]],
  );
  assert.is(slice.metadata.labels["kubernetes.io/service-name"], "raft");

  const config = await json("get", "configmap", "raft-2-config");
  const partition = JSON.parse(config.data["partition.json"]);
  assert.equal(partition.partition, { partition: 2, group: { name: "raft", namespace: ns() } });
  assert.is(partition.members.length, 3);
  assert.is(partition.members[0].host, `raft-2-0.raft-2-hs.${ns()}.svc.cluster.local`);
});

test("changing partitions and partitionSize adds, removes and scales", async () => {
  await k(
    "patch",
    "partitiongroup",
    "raft",
    "-n",
    ns(),
    "--type=merge",
    "-p",
    '{"spec":{"partitions":2,"partitionSize":1}}',
  );
  await eventually(
    "raft-3 to be removed",
    async () => (await names("partitions.k8s.atomix.io")).join() === "raft-1,raft-2",
  );
  await eventually("StatefulSets scaled to 1", async () => {
    const sets = await json("get", "statefulsets");
    return sets.items.length === 2 && sets.items.every((s: any) => s.spec.replicas === 1);
  });
  await eventually("partition.json rewritten with one member", async () => {
    const config = await json("get", "configmap", "raft-1-config");
    return JSON.parse(config.data["partition.json"]).members.length === 1;
  });
  await eventually(
    "pods of raft-3 and the extra replicas to go",
    async () => (await names("pods")).join() === "raft-1-0,raft-2-0",
  );
});

test("the API server refuses schema violations and names the field", async () => {
  const apply = (yaml: string) => kubectl(admin, ["create", "-n", ns(), "-f", "-"], yaml);
  const zero = await apply(
    "apiVersion: k8s.atomix.io/v1alpha1\nkind: PartitionGroup\nmetadata: {name: bad}\nspec: {partitions: 0, raft: {}}\n",
  );
  assert.is.not(zero.code, 0);
  assert.match(zero.stderr, "spec.partitions");
  const two = await apply(
    "apiVersion: k8s.atomix.io/v1alpha1\nkind: PartitionGroup\nmetadata: {name: bad}\nspec: {raft: {}, log: {}}\n",
  );
  assert.is.not(two.code, 0);
  assert.match(two.stderr, "set exactly one protocol: raft, primaryBackup or log");
  const duration = await apply(
    "apiVersion: k8s.atomix.io/v1alpha1\nkind: PartitionGroup\nmetadata: {name: bad}\nspec: {raft: {electionTimeout: soon}}\n",
  );
  assert.match(duration.stderr, "spec.raft.electionTimeout");
});

test("a missing storage class is reported on the group, which converges once the class exists", async () => {
  const className = `fast-${ns()}`;
  await kubectl(
    admin,
    ["create", "-n", ns(), "-f", "-"],
    `apiVersion: k8s.atomix.io/v1alpha1\nkind: PartitionGroup\nmetadata: {name: stored}\nspec: {partitions: 1, raft: {storage: {className: ${className}, size: 1Gi}}}\n`,
  );
  const condition = await eventually("an InvalidSpec condition", async () => {
    const group = await json("get", "partitiongroup", "stored");
    const ready = group.status?.conditions?.find((c: any) => c.type === "Ready");
    return ready?.reason === "InvalidSpec" ? ready : undefined;
  });
  assert.is(
    condition.message,
    `storage class "${className}" does not exist: create it, or change spec.raft.storage.className`,
  );
  assert.equal((await names("partitions.k8s.atomix.io")).filter((n) => n.startsWith("stored")), []);
  await kubectl(
    admin,
    ["create", "-f", "-"],
    `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: ${className}}\nprovisioner: example.com/none\n`,
  );
  await eventually(
    "the partition once the class exists",
    async () => (await names("partitions.k8s.atomix.io")).includes("stored-1"),
  );
  const set = await eventually("the StatefulSet with a claim template", async () => {
    const sets = await json("get", "statefulsets");
    return sets.items.find((s: any) => s.metadata.name === "stored-1");
  });
  assert.is(set.spec.volumeClaimTemplates[0].spec.storageClassName, className);
  await k("delete", "storageclass", className);
});

test("kubectl delete partitiongroup removes everything it created", async () => {
  await k("delete", "partitiongroup", "raft", "stored", "-n", ns());
  await eventually("every object of the groups to be gone", async () => {
    const left = await k(
      "get",
      "partitions.k8s.atomix.io,statefulsets,services,endpointslices,configmaps,poddisruptionbudgets,pods",
      "-n",
      ns(),
      "-l",
      "app=atomix",
      "-o",
      "name",
    );
    const slices = await names("endpointslices");
    return left.trim() === "" && slices.length === 0;
  });
  assert.equal(await names("partitiongroups"), []);
  assert.is(controller.process.exitCode, null, "the controller is still running");
  const log = controller.logs.filter((line) => line.includes('"level":"error"'));
  assert.equal(log, [], "the controller logged no errors");
});

test.run();
