// Watches that break: the informer must survive a restart of the kube-apiserver process and
// a 410 Gone, and miss no change. This file starts a cluster of its own, since it restarts
// the API server.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import { type Cluster, startCluster } from "../../../runtime/control-plane/cluster.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const test = suite("runtime: informer resilience");
let cluster: Cluster;
let client: KubeClient;
let sample: SampleProcess;
let ns: string;

const createWidget = (name: string, replicas: number) =>
  client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name, namespace: ns },
    spec: { replicas },
  });
const childCount = async (name: string) =>
  (await client.list(builtinKinds.ConfigMap, { namespace: ns, labelSelector: `widget=${name}` })).items.length;
const exists = async (name: string) =>
  client.get(WidgetKind, ns, name).then(
    () => true,
    (error) => ((error as { status?: number }).status === 404 ? false : Promise.reject(error)),
  );

test.before(async () => {
  // Compaction every few seconds makes an old resourceVersion expire quickly.
  cluster = await startCluster({ log: () => undefined, apiserverFlags: ["--etcd-compaction-interval=3s"] });
  const config = testKubeConfig(cluster.kubeconfig);
  client = new KubeClient(config);
  ns = (await freshNamespace(config, "runtime-informer")).name;
  await installWidgetCrd(config);
  sample = await startSample({ namespace: ns, identity: "informer", kubeconfig: cluster.kubeconfig });
  await eventually("the sample to lead", async () => (await sample.readyz()).leader);
});

test.after(async () => {
  await sample?.stop("SIGKILL");
  await cluster?.stop();
});

test("the informer survives a restart of the kube-apiserver process", async () => {
  await createWidget("before", 1);
  await eventually("children before the restart", async () => (await childCount("before")) === 1);
  const oldPid = cluster.pid("kube-apiserver");
  await cluster.restart("kube-apiserver");
  assert.is.not(cluster.pid("kube-apiserver"), oldPid, "a new kube-apiserver process runs");
  await createWidget("after", 2);
  await eventually("children for a parent created after the restart", async () => (await childCount("after")) === 2, {
    timeoutMs: 90_000,
  });
  assert.is(sample.process.exitCode, null, "the controller kept running");
});

test("a 410 Gone relists, and changes made while the watch was down are all seen", async () => {
  await createWidget("kept", 1);
  await createWidget("doomed", 1);
  await eventually(
    "children of both",
    async () => (await childCount("kept")) === 1 && (await childCount("doomed")) === 1,
  );
  const relistsBefore = await sample.metric("informer_list_watch_restarts_total", {
    kind: "Widget",
    reason: "relist-gone",
  });

  // Freeze the controller, restart the API server under it, and change things while it cannot see.
  sample.process.kill("SIGSTOP");
  try {
    await cluster.restart("kube-apiserver");
    await createWidget("added", 3);
    await client.patch(WidgetKind, ns, "kept", { spec: { replicas: 2 } });
    await client.delete(WidgetKind, ns, "doomed");
    // Churn and compaction push the controller's last resourceVersion out of reach.
    for (let i = 0; i < 20; i++) {
      await client.create(builtinKinds.ConfigMap, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `churn-${i}`, namespace: ns },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 8_000));
  } finally {
    sample.process.kill("SIGCONT");
  }

  await eventually(
    "the parent added during the outage to get its children",
    async () => (await childCount("added")) === 3,
    { timeoutMs: 90_000 },
  );
  await eventually("the parent changed during the outage to be resynced", async () => (await childCount("kept")) === 2);
  await eventually(
    "the parent deleted during the outage to be finalized and gone",
    async () => !(await exists("doomed")),
  );
  const relistsAfter = await sample.metric("informer_list_watch_restarts_total", {
    kind: "Widget",
    reason: "relist-gone",
  });
  assert.ok(
    relistsAfter > relistsBefore,
    `the Widget informer relisted after 410 Gone (${relistsBefore} -> ${relistsAfter})`,
  );
});

test.run();
