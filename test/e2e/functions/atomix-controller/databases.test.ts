// The Database flow a user runs, by kubectl, verbatim from the docs: a RaftStorageClass and a
// Database created in kube-system, with the controller under its ServiceAccount's own token.
import { join } from "node:path";
import * as assert from "uvu/assert";
import { startAtomixController } from "../../../support/atomix.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: databases by kubectl");
let controller: SampleProcess;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;

const k = (...args: string[]) => kubectlOrThrow(admin, args);
const names = async (resource: string, ns = "kube-system", ...selector: string[]) =>
  (await k("get", resource, "-n", ns, ...selector, "-o", "jsonpath={.items[*].metadata.name}")).split(" ").filter(
    Boolean,
  ).sort();
const json = async (ns: string, ...args: string[]) => JSON.parse(await k(...args, "-n", ns, "-o", "json"));

test.before(async () => {
  controller = (await startAtomixController("atomix-e2e-db")).controller;
  namespace = await freshNamespace(testKubeConfig(), "e2e-db");
});

test.after(async () => {
  await kubectl(admin, [
    "delete",
    "-n",
    "kube-system",
    "--ignore-not-found",
    "-f",
    join(root, "deploy", "examples", "database.yaml"),
  ]);
  await controller?.stop();
  await namespace?.remove();
});

test("kubectl create -n kube-system -f raft.yaml: the database, 3 partitions, 3 StatefulSets of 3 Running pods, a Service per partition", async () => {
  const started = performance.now();
  await k("create", "-n", "kube-system", "-f", join(root, "deploy", "examples", "database.yaml"));
  assert.equal(await names("databases"), ["raft"]);
  await eventually("3 partitions", async () => (await names("partitions.cloud.atomix.io")).length === 3);
  assert.equal(await names("partitions.cloud.atomix.io"), ["raft-1", "raft-2", "raft-3"]);
  const database = await eventually(
    "all partitions ready",
    async () => {
      const db = await json("kube-system", "get", "database", "raft");
      return db.status?.readyPartitions === 3 ? db : undefined;
    },
    { timeoutMs: 120_000 },
  );
  console.log(
    `   kubectl create -n kube-system -f raft.yaml to all 3 partitions ready: ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  assert.is(database.status.conditions.find((c: any) => c.type === "Ready").status, "True");

  const sets = await json("kube-system", "get", "statefulsets", "-l", "app=atomix,database=raft");
  assert.equal(sets.items.map((s: any) => [s.metadata.name, s.spec.replicas, s.status.readyReplicas]).sort(), [
    ["raft-1", 3, 3],
    ["raft-2", 3, 3],
    ["raft-3", 3, 3],
  ]);
  const pods = await json("kube-system", "get", "pods", "-l", "app=atomix,database=raft");
  assert.is(pods.items.filter((p: any) => p.status.phase === "Running").length, 9);
  const services = await json("kube-system", "get", "services", "-l", "app=atomix,database=raft");
  const ports = Object.fromEntries(
    services.items.map((s: any) => [s.metadata.name, s.spec.ports.map((p: any) => p.port)]),
  );
  assert.equal(ports, {
    "raft-1": [5678],
    "raft-1-hs": [5678, 5679],
    "raft-2": [5678],
    "raft-2-hs": [5678, 5679],
    "raft-3": [5678],
    "raft-3-hs": [5678, 5679],
  });
  const partition = await json("kube-system", "get", "partitions.cloud.atomix.io", "raft-2");
  assert.equal(partition.spec, { database: "raft", cluster: 2, partitionId: 2, serviceName: "raft-2" });
  assert.is(partition.status.ready, true);
  const printed = await k("get", "databases", "-n", "kube-system");
  assert.match(printed, /raft\s+3\s+3\s+3\s+/, "printer columns: clusters, partitions, ready");
  const config = JSON.parse((await json("kube-system", "get", "configmap", "raft-3-config")).data["cluster.json"]);
  assert.equal(config.partitions, [{ partition: 3 }]);
  assert.is(config.replicas[2].host, "raft-3-2.raft-3-hs.kube-system.svc.cluster.local");
});

test("with both generations installed, a bare `kubectl get partitions` means partitions.cloud.atomix.io; the full names are unambiguous", async () => {
  const explained = await k("explain", "partitions");
  assert.match(explained, "GROUP:      cloud.atomix.io");
  assert.equal(await names("partitions"), ["raft-1", "raft-2", "raft-3"]);
  assert.match(await k("explain", "partitions.k8s.atomix.io"), "GROUP:      k8s.atomix.io");
  assert.match(await k("explain", "pgp"), "GROUP:      k8s.atomix.io");
  assert.match(await k("explain", "dbp"), "GROUP:      cloud.atomix.io");
});

test("changing the class's replicas rolls through every Database that uses it", async () => {
  const second =
    `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: second}\nspec:\n  clusters: 1\n  template: {spec: {partitions: 2, storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: raft, namespace: kube-system}}}\n`;
  assert.is((await kubectl(admin, ["create", "-n", namespace.name, "-f", "-"], second)).code, 0);
  await eventually(
    "the second database's StatefulSet",
    async () => (await names("statefulsets", namespace.name)).join() === "second-1",
  );
  await k("patch", "raftstorageclass", "raft", "-n", "kube-system", "--type=merge", "-p", '{"spec":{"replicas":1}}');
  await eventually("every StatefulSet of both databases at 1 replica with a one-member cluster.json", async () => {
    const mine = await json("kube-system", "get", "statefulsets", "-l", "app=atomix,database=raft");
    const theirs = await json(namespace.name, "get", "statefulsets", "-l", "app=atomix,database=second");
    const config = JSON.parse((await json(namespace.name, "get", "configmap", "second-1-config")).data["cluster.json"]);
    return [...mine.items, ...theirs.items].every((s: any) => s.spec.replicas === 1) && mine.items.length === 3 &&
      theirs.items.length === 1 && config.replicas.length === 1;
  });
  await k("delete", "database", "second", "-n", namespace.name);
});

test("a Database naming a missing class says so, and converges once the class appears", async () => {
  const yaml =
    `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: waiting}\nspec:\n  clusters: 1\n  template: {spec: {storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: later}}}\n`;
  assert.is((await kubectl(admin, ["create", "-n", namespace.name, "-f", "-"], yaml)).code, 0);
  const condition = await eventually("a StorageNotFound condition", async () => {
    const db = await json(namespace.name, "get", "database", "waiting");
    const ready = db.status?.conditions?.find((c: any) => c.type === "Ready");
    return ready?.reason === "StorageNotFound" ? ready : undefined;
  });
  assert.is(
    condition.message,
    `RaftStorageClass ${namespace.name}/later does not exist: create it, or change spec.template.spec.storage`,
  );
  const klass =
    "apiVersion: storage.cloud.atomix.io/v1beta1\nkind: RaftStorageClass\nmetadata: {name: later}\nspec: {replicas: 1}\n";
  assert.is((await kubectl(admin, ["create", "-n", namespace.name, "-f", "-"], klass)).code, 0);
  await eventually(
    "the database ready once the class exists",
    async () => (await json(namespace.name, "get", "database", "waiting")).status?.readyPartitions === 1,
    { timeoutMs: 60_000 },
  );
});

test("the API server refuses schema violations and names the field", async () => {
  const create = (yaml: string) => kubectl(admin, ["create", "-n", namespace.name, "-f", "-"], yaml);
  const zero = await create(
    "apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: bad}\nspec: {clusters: 0, template: {spec: {storage: {group: g, version: v, kind: K, name: n}}}}\n",
  );
  assert.match(zero.stderr, "spec.clusters");
  const noStorage = await create(
    "apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: bad}\nspec: {template: {spec: {partitions: 1}}}\n",
  );
  assert.match(noStorage.stderr, "spec.template.spec.storage");
  const replicas = await create(
    "apiVersion: storage.cloud.atomix.io/v1beta1\nkind: RaftStorageClass\nmetadata: {name: bad}\nspec: {replicas: 10}\n",
  );
  assert.match(replicas.stderr, "spec.replicas");
});

test("kubectl delete database removes everything it created", async () => {
  await k("delete", "database", "raft", "-n", "kube-system");
  await eventually("every object of the database to be gone", async () => {
    const left = await k(
      "get",
      "partitions.cloud.atomix.io,statefulsets,services,configmaps,pods",
      "-n",
      "kube-system",
      "-l",
      "app=atomix,database=raft",
      "-o",
      "name",
    );
    return left.trim() === "";
  }, { timeoutMs: 60_000 });
  assert.is(controller.process.exitCode, null, "the controller is still running");
  assert.equal(
    controller.logs.filter((line) => line.includes('"level":"error"')),
    [],
    "the controller logged no errors",
  );
});

test.run();
