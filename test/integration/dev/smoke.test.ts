// Smoke tests of the local control plane: each asserts behaviour that only a real
// kube-apiserver, controller manager, scheduler and kwok node produce together.
import { randomBytes } from "node:crypto";
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { eventually, freshNamespace, statusOf, testKubeConfig } from "../../support/kube.ts";

const config = testKubeConfig();
const core = config.makeApiClient(CoreV1Api);
const apps = config.makeApiClient(AppsV1Api);
const test = suite("control plane smoke");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;

test.before(async () => {
  namespace = await freshNamespace(config, "smoke");
});
test.after(async () => {
  await namespace.remove();
});

test("a CRD installs and its objects can be created, listed and watched", async () => {
  const extensions = config.makeApiClient(ApiextensionsV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  const group = `s${randomBytes(3).toString("hex")}.smoke.atomix.io`;
  const crdName = `widgets.${group}`;
  await extensions.createCustomResourceDefinition({
    body: {
      metadata: { name: crdName },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", properties: { size: { type: "integer", minimum: 1 } } } },
              },
            },
          },
        ],
      },
    },
  });
  try {
    await eventually("the CRD to be Established", async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: crdName });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    });
    const target = { group, version: "v1", namespace: namespace.name, plural: "widgets" };
    const widget = (name: string, size: number) => ({
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name },
      spec: { size },
    });
    // Served only once discovery has caught up with the new CRD.
    await eventually(
      "the first Widget to be created",
      () => custom.createNamespacedCustomObject({ ...target, body: widget("one", 1) }),
    );

    const listed = await custom.listNamespacedCustomObject(target);
    assert.equal(
      listed.items.map((item: { metadata: { name: string } }) => item.metadata.name),
      ["one"],
    );

    const seen: string[] = [];
    const watch = new Watch(config);
    const controller = await watch.watch(
      `/apis/${group}/v1/namespaces/${namespace.name}/widgets`,
      { resourceVersion: listed.metadata.resourceVersion },
      (phase, object) => seen.push(`${phase} ${object.metadata.name} ${object.spec?.size}`),
      () => undefined,
    );
    try {
      await custom.createNamespacedCustomObject({ ...target, body: widget("two", 2) });
      await eventually("a watch event for the second Widget", () => seen.includes("ADDED two 2"));
      assert.not.ok(
        seen.some((line) => line.includes(" one ")),
        "the watch started after the list, so it must not replay 'one'",
      );
    } finally {
      controller.abort();
    }

    try {
      await custom.createNamespacedCustomObject({ ...target, body: widget("bad", 0) });
      assert.unreachable("the schema must refuse size 0");
    } catch (error) {
      assert.is(statusOf(error), 422);
      assert.match(String((error as Error).message), "spec.size");
    }
  } finally {
    await extensions.deleteCustomResourceDefinition({ name: crdName });
  }
});

test("a Lease update with a stale resourceVersion gets 409 Conflict", async () => {
  const coordination = config.makeApiClient(CoordinationV1Api);
  const created = await coordination.createNamespacedLease({
    namespace: namespace.name,
    body: { metadata: { name: "smoke-lease" }, spec: { holderIdentity: "a", leaseDurationSeconds: 15 } },
  });
  const updated = await coordination.replaceNamespacedLease({
    name: "smoke-lease",
    namespace: namespace.name,
    body: { ...created, spec: { ...created.spec, holderIdentity: "b" } },
  });
  assert.is(updated.spec?.holderIdentity, "b");
  assert.is.not(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
  try {
    await coordination.replaceNamespacedLease({
      name: "smoke-lease",
      namespace: namespace.name,
      body: { ...created, spec: { ...created.spec, holderIdentity: "c" } },
    });
    assert.unreachable("a stale resourceVersion must conflict");
  } catch (error) {
    assert.is(statusOf(error), 409);
  }
  const current = await coordination.readNamespacedLease({ name: "smoke-lease", namespace: namespace.name });
  assert.is(current.spec?.holderIdentity, "b");
});

const labels = { app: "smoke-web" };
const ready = (pod: V1Pod) =>
  pod.status?.phase === "Running" &&
  (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

test("a StatefulSet of 3 replicas gets 3 Running and Ready pods", async () => {
  await apps.createNamespacedStatefulSet({
    namespace: namespace.name,
    body: {
      metadata: { name: "web" },
      spec: {
        replicas: 3,
        serviceName: "web",
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name: "web",
              image: "registry.invalid/web:1",
              ports: [{ name: "http", containerPort: 8080 }],
            }],
          },
        },
      },
    },
  });
  const pods = await eventually("3 Running and Ready pods", async () => {
    const list = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: "app=smoke-web" });
    return list.items.length === 3 && list.items.every(ready) ? list.items : undefined;
  });
  assert.equal(pods.map((pod) => pod.metadata?.name).sort(), ["web-0", "web-1", "web-2"]);
  for (const pod of pods) assert.ok(pod.status?.podIP, `${pod.metadata?.name} has a pod IP`);
  const statefulSet = await eventually("the StatefulSet to count 3 ready replicas", async () => {
    const current = await apps.readNamespacedStatefulSet({ name: "web", namespace: namespace.name });
    return current.status?.readyReplicas === 3 ? current : undefined;
  });
  assert.is(statefulSet.status?.replicas, 3);
});

test("a Service gets an EndpointSlice with the pods' IPs", async () => {
  const discovery = config.makeApiClient(DiscoveryV1Api);
  await core.createNamespacedService({
    namespace: namespace.name,
    body: {
      metadata: { name: "web" },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    },
  });
  const pods = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: "app=smoke-web" });
  const podIps = pods.items.map((pod) => pod.status!.podIP!).sort();
  assert.is(podIps.length, 3);
  const addresses = await eventually("an EndpointSlice listing every pod", async () => {
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace: namespace.name,
      labelSelector: "kubernetes.io/service-name=web",
    });
    const found = slices.items.flatMap((slice) =>
      (slice.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)
    ).sort();
    return found.length === podIps.length ? found : undefined;
  });
  assert.equal(addresses, podIps);
});

test("deleting the StatefulSet garbage-collects its pods", async () => {
  await apps.deleteNamespacedStatefulSet({ name: "web", namespace: namespace.name, propagationPolicy: "Background" });
  await eventually("every pod of the StatefulSet to be gone", async () => {
    const list = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: "app=smoke-web" });
    return list.items.length === 0;
  });
  try {
    await apps.readNamespacedStatefulSet({ name: "web", namespace: namespace.name });
    assert.unreachable("the StatefulSet must be gone");
  } catch (error) {
    assert.is(statusOf(error), 404);
  }
});

test("pods meant to run to completion end Succeeded; one that restarts Always stays Running", async () => {
  const pod = (name: string, restartPolicy: string): V1Pod => ({
    metadata: { name, labels: { app: "smoke-once" } },
    spec: { restartPolicy, containers: [{ name: "once", image: "registry.invalid/once:1" }] },
  });
  for (const [name, policy] of [["never", "Never"], ["on-failure", "OnFailure"], ["always", "Always"]] as const) {
    await core.createNamespacedPod({ namespace: namespace.name, body: pod(name, policy) });
  }
  const phases = await eventually("both run-to-completion pods Succeeded", async () => {
    const list = await core.listNamespacedPod({ namespace: namespace.name, labelSelector: "app=smoke-once" });
    const byName = Object.fromEntries(list.items.map((item) => [item.metadata!.name!, item.status?.phase]));
    return byName.never === "Succeeded" && byName["on-failure"] === "Succeeded" && byName.always === "Running"
      ? byName
      : undefined;
  });
  assert.equal(phases, { always: "Running", never: "Succeeded", "on-failure": "Succeeded" });
  const never = await core.readNamespacedPod({ name: "never", namespace: namespace.name });
  assert.is(never.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
});

test("deleting a namespace with content completes", async () => {
  const doomed = await freshNamespace(config, "smoke-doomed");
  await core.createNamespacedConfigMap({
    namespace: doomed.name,
    body: { metadata: { name: "data" }, data: { a: "b" } },
  });
  await core.deleteNamespace({ name: doomed.name });
  await eventually(`namespace ${doomed.name} to be removed`, async () => {
    try {
      await core.readNamespace({ name: doomed.name });
      return false;
    } catch (error) {
      return statusOf(error) === 404;
    }
  });
});

test.run();
