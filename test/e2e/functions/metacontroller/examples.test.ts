// Metacontroller's example controllers (the examples/ folder of the metacontroller repository),
// each as a scenario against functions/metacontroller/main.ts on the real control plane: the
// same kinds, controllers and checks as the example's test.sh, with hooks of our own written in
// Go (test/interop/go/hooks). The examples this file does not hold are scenarios of
// metacontroller.test.ts, target-label-selector.test.ts and webhook-auth.test.ts; the table in
// functions/metacontroller/README.md says which test answers for which example.
import { spawn } from "node:child_process";
import * as assert from "uvu/assert";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow, kubectlPath } from "../../../support/kubectl.ts";
import {
  installMetacontroller,
  looseCrd,
  startHooks,
  startMetacontroller,
  userClusterRole,
} from "../../../support/metacontroller.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { shortLease as election } from "../../../support/election.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: Metacontroller's example controllers on our runtime");
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const apply = (yaml: string) => kubectlOrThrow(admin, ["apply", "-f", "-"], yaml);
type Json = Record<string, any>;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let hooks: Awaited<ReturnType<typeof startHooks>> | undefined;
const replicas: SampleProcess[] = [];
const ns = () => namespace.name;
const get = async (kind: string, name: string, namespaced = true): Promise<Json | undefined> => {
  const found = await kubectl(admin, ["get", kind, name, "-o", "json", ...(namespaced ? ["-n", ns()] : [])]);
  return found.code === 0 ? JSON.parse(found.stdout) : undefined;
};
const items = async (kind: string, selector: string): Promise<Json[]> =>
  JSON.parse(await k("get", kind, "-n", ns(), "-l", selector, "-o", "json")).items;
const isReady = (object: Json | undefined) =>
  (object?.status?.conditions ?? []).some((c: Json) => c.type === "Ready" && c.status === "True");

const group = "examples.test";
const crds = [
  looseCrd(group, "bluegreens", "BlueGreen", {
    // As the example's CRD: the status declares these fields only; what else the hook copies from
    // a ReplicaSet's status (terminatingReplicas, conditions) is pruned.
    status: `{type: object, properties: {activeColor: {type: string}, observedGeneration: {type: integer},
      active: {type: object, properties: {replicas: {type: integer}, readyReplicas: {type: integer},
      availableReplicas: {type: integer}, fullyLabeledReplicas: {type: integer}, observedGeneration: {type: integer}}}}}`,
  }),
  looseCrd(group, "catsets", "CatSet"),
  looseCrd(group, "daemonjobs", "DaemonJob", {
    status: `{type: object, properties: {conditions: {type: array, items: {type: object, properties: {
      type: {type: string}, status: {type: string}, reason: {type: string}, message: {type: string}}}}}}`,
  }),
  looseCrd(group, "indexedjobs", "IndexedJob"),
  looseCrd(group, "configmaplists", "ConfigMapList"),
  looseCrd(group, "namespacelists", "NamespaceList"),
  looseCrd(group, "configmappropagations", "ConfigMapPropagation", { scope: "Cluster" }),
  looseCrd(group, "secretpropagations", "SecretPropagation", {
    scope: "Cluster",
    status: "{type: object, properties: {working: {type: string}, copies: {type: integer}}}",
  }),
];
const plurals = [
  "bluegreens",
  "catsets",
  "daemonjobs",
  "indexedjobs",
  "configmaplists",
  "namespacelists",
  "configmappropagations",
];
const rbac = userClusterRole("metacontroller-examples", group, [...plurals, "secretpropagations"], [
  `{apiGroups: [""], resources: [pods, services, configmaps, secrets, persistentvolumeclaims], verbs: [list, watch, create, patch, delete]}`,
  `{apiGroups: [apps], resources: [replicasets, daemonsets], verbs: [list, watch, create, patch, delete]}`,
  `{apiGroups: [apps], resources: [statefulsets], verbs: [list, watch, patch]}`,
  `{apiGroups: [apps], resources: [statefulsets/finalizers], verbs: [update]}`,
  `{apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [list, watch, patch]}`,
  `{apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions/finalizers], verbs: [update]}`,
  // Making a ClusterRole that grants what the maker lacks takes escalate; a RoleBinding to it, bind.
  `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [list, watch, create, patch, delete, escalate, bind]}`,
  `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles/finalizers], verbs: [update]}`,
  `{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [list, watch, create, patch, delete]}`,
]);

/** A CompositeController of one of this file's kinds, its hooks on the Go hook server. */
function composite(name: string, options: {
  parent: string;
  children: string[];
  sync: string;
  finalize?: string;
  customize?: string;
  version?: "v2";
}): string {
  const webhook = (path: string) => `{${options.version ? "version: v2, " : ""}webhook: {url: "${hooks!.url}${path}"}}`;
  return `apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: ${name}}
spec:
  parentResource: {apiVersion: ${group}/v1, resource: ${options.parent}}
  childResources:
${options.children.map((child) => `  - ${child}\n`).join("")}  hooks:
    sync: ${webhook(options.sync)}
${options.finalize ? `    finalize: ${webhook(options.finalize)}\n` : ""}${
    options.customize ? `    customize: ${webhook(options.customize)}\n` : ""
  }`;
}

test.before(async () => {
  hooks = await startHooks();
  await installMetacontroller();
  for (const crd of crds) await apply(crd);
  await apply(rbac);
  await k(
    "wait",
    "--for=condition=Established",
    ...[...plurals, "secretpropagations"].map((plural) => `crd/${plural}.${group}`),
  );
  namespace = await freshNamespace(testKubeConfig(), "e2e-examples");
  const leader = await startMetacontroller("examples-a", election);
  await eventually("examples-a to lead", async () => (await leader.readyz()).leader);
  replicas.push(leader);
});

test.after(async () => {
  await kubectl(admin, ["delete", "compositecontrollers,decoratorcontrollers", "--all", "--wait=false"]);
  for (const replica of replicas) await replica.stop();
  hooks?.stop();
  await namespace?.remove();
});

test("bluegreen: a rollout moves traffic to the other color once it is ready; status from the active ReplicaSet", async () => {
  await apply(composite("bluegreen", {
    parent: "bluegreens",
    children: [
      "{apiVersion: apps/v1, resource: replicasets, updateStrategy: {method: InPlace}}",
      "{apiVersion: v1, resource: services, updateStrategy: {method: InPlace}}",
    ],
    sync: "/bluegreen/sync",
  }));
  await apply(`apiVersion: ${group}/v1
kind: BlueGreen
metadata: {name: nginx, namespace: ${ns()}}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx, component: frontend}}
  template:
    metadata: {labels: {app: nginx, component: frontend}}
    spec: {containers: [{name: nginx, image: registry.invalid/nginx:1}]}
`);
  const rollout = async (active: "blue" | "green") => {
    const other = active === "blue" ? "green" : "blue";
    return await eventually(`${active} active with 3 ready replicas, ${other} at 0`, async () => {
      const [on, off, parent, service] = [
        await get("replicaset", `nginx-${active}`),
        await get("replicaset", `nginx-${other}`),
        await get("bluegreen", "nginx"),
        await get("service", "nginx"),
      ];
      return on?.status?.readyReplicas === 3 && (off?.status?.replicas ?? 0) === 0 &&
          parent?.status?.activeColor === active && parent.status.active?.availableReplicas === 3 &&
          parent.status.observedGeneration === parent.metadata.generation &&
          service?.spec?.selector?.color === active
        ? { on, parent }
        : undefined;
    }, { timeoutMs: 60_000 });
  };
  let { parent } = await rollout("blue");
  const declared = ["replicas", "readyReplicas", "availableReplicas", "fullyLabeledReplicas", "observedGeneration"];
  assert.equal(
    Object.keys(parent.status.active).filter((key) => !declared.includes(key)),
    [],
    "what the schema does not declare is pruned",
  );
  await k(
    "patch",
    "bluegreen",
    "nginx",
    "-n",
    ns(),
    "--type=merge",
    "-p",
    '{"spec":{"template":{"metadata":{"labels":{"new":"label"}}}}}',
  );
  const green = await rollout("green");
  assert.is(green.on.spec.template.metadata.labels.new, "label", "the new template went to green");
  await k(
    "patch",
    "bluegreen",
    "nginx",
    "-n",
    ns(),
    "--type=merge",
    "-p",
    '{"spec":{"template":{"metadata":{"labels":{"new2":"label2"}}}}}',
  );
  ({ parent } = await rollout("blue"));
  assert.is(parent.metadata.generation, 3);
  await k("delete", "compositecontroller", "bluegreen");
});

test("catset: pods made in order with their volumes, scaled up and down, rolled one at a time, and finalized to 0", async () => {
  const storageClass = `catset-${ns()}`;
  const volumes = [0, 1, 2, 3].map((index) => `catset-${ns()}-${index}`);
  await apply(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ${storageClass}}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
${
    volumes.map((name) =>
      `---
apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ${storageClass}
  hostPath: {path: /tmp/${name}}
`
    ).join("")
  }`);
  const finalizer = "examples.test/read-final-state";
  try {
    await apply(composite("catset", {
      parent: "catsets",
      children: [
        `{apiVersion: v1, resource: pods, updateStrategy: {method: RollingRecreate, statusChecks: {conditions: [{type: Ready, status: "True"}]}}}`,
        "{apiVersion: v1, resource: persistentvolumeclaims}",
      ],
      sync: "/catset/sync",
      finalize: "/catset/finalize",
    }));
    const catset = (replicas: number, revision: string) =>
      `apiVersion: ${group}/v1
kind: CatSet
metadata: {name: nginx-backend, namespace: ${ns()}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: nginx, component: backend}}
  template:
    metadata: {labels: {app: nginx, component: backend, revision: "${revision}"}}
    spec: {containers: [{name: nginx, image: registry.invalid/nginx:1, volumeMounts: [{name: www, mountPath: /www}]}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], storageClassName: ${storageClass}, resources: {requests: {storage: 1Gi}}}
`;
    const pods = async () =>
      new Map((await items("pods", "app=nginx,component=backend")).map((pod) => [pod.metadata.name as string, pod]));
    const readyReplicas = (count: number) =>
      eventually(`${count} ready replicas`, async () => {
        const parent = await get("catset", "nginx-backend");
        const now = await pods();
        return parent?.status?.readyReplicas === count && now.size === count && [...now.values()].every(isReady)
          ? now
          : undefined;
      }, { timeoutMs: 60_000 });
    // Watch the pods come: when one first shows, the one before it must be Ready already.
    const firstSeen: string[] = [];
    let early: string | undefined;
    const watchOrder = async () => {
      const current = await pods();
      for (const name of current.keys()) {
        if (firstSeen.includes(name)) continue;
        firstSeen.push(name);
        const ordinal = Number(name.split("-").at(-1));
        const before = current.get(`nginx-backend-${ordinal - 1}`);
        if (ordinal > 0 && !isReady(before)) early ??= `${name} came before pod ${ordinal - 1} was Ready`;
      }
      return current;
    };
    await apply(catset(3, "1"));
    await eventually("3 pods, made in order", async () => (await watchOrder()).size === 3, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    let now = await readyReplicas(3);
    assert.is(early, undefined);
    assert.equal(firstSeen, ["nginx-backend-0", "nginx-backend-1", "nginx-backend-2"]);
    for (const pod of now.values()) {
      const claim = await get("pvc", `www-${pod.metadata.name}`);
      assert.is(claim?.status?.phase, "Bound", `the claim of ${pod.metadata.name} is bound`);
      assert.ok(
        pod.spec.volumes.some((v: Json) => v.persistentVolumeClaim?.claimName === `www-${pod.metadata.name}`),
      );
    }

    await apply(catset(4, "1"));
    await readyReplicas(4);
    await apply(catset(2, "1"));
    now = await readyReplicas(2);
    assert.equal([...now.keys()].sort(), ["nginx-backend-0", "nginx-backend-1"], "the highest ordinals went");
    assert.is((await items("pvc", "app=nginx,component=backend")).length, 4, "claims stay, as a StatefulSet's do");

    // A new template: each pod is made again in turn, the next only once the one before is Ready.
    const before = new Map([...now].map(([name, pod]) => [name, pod.metadata.uid as string]));
    let outOfTurn: string | undefined;
    let mostMissing = 0;
    // Every Updated condition the CatSet shows during the rollout, from a watch.
    const watch = spawn(await kubectlPath(), [
      "--kubeconfig",
      admin,
      "get",
      "catset",
      "nginx-backend",
      "-n",
      ns(),
      "--watch",
      "-o",
      `jsonpath={.status.conditions[?(@.type=="Updated")].reason}{"\\n"}`,
    ], { stdio: ["ignore", "pipe", "ignore"] });
    const reasons = new Set<string>();
    watch.stdout.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) reasons.add(line.trim());
    });
    await eventually("the watch's first line", () => reasons.size > 0);
    await apply(catset(2, "2"));
    // Every pod each ordinal had, by UID: made again once each, never twice.
    const uids = new Map([...before].map(([name, uid]) => [name, new Set([uid])]));
    let replaced: Map<string, Json>;
    try {
      replaced = await eventually("both pods made again at revision 2 and Ready", async () => {
        const current = await pods();
        for (const [name, pod] of current) uids.set(name, (uids.get(name) ?? new Set()).add(pod.metadata.uid));
        mostMissing = Math.max(mostMissing, 2 - current.size);
        const second = current.get("nginx-backend-1");
        const first = current.get("nginx-backend-0");
        if (second && second.metadata.uid !== before.get("nginx-backend-1")) {
          if (!first || first.metadata.uid === before.get("nginx-backend-0") || !isReady(first)) {
            outOfTurn ??= "pod 1 was made again before pod 0 was made again and Ready";
          }
        }
        return current.size === 2 &&
            [...current.values()].every((pod) => isReady(pod) && pod.metadata.labels.revision === "2")
          ? current
          : undefined;
      }, { timeoutMs: 60_000, intervalMs: 100 });
    } finally {
      watch.kill();
    }
    assert.is(outOfTurn, undefined);
    assert.ok(mostMissing <= 1, `at most one pod missing at a time (saw ${mostMissing})`);
    assert.equal([...replaced.keys()].sort(), ["nginx-backend-0", "nginx-backend-1"]);
    assert.equal([...uids.values()].map((seen) => seen.size), [2, 2], "each pod made again once");
    assert.ok(
      reasons.has("RolloutWaiting") || reasons.has("RolloutProgressing"),
      `the Updated condition told of the rollout (saw ${[...reasons].join(", ")})`,
    );
    const done = await eventually("Updated=True", async () => {
      const conditions = (await get("catset", "nginx-backend"))?.status?.conditions ?? [];
      return conditions.find((c: Json) => c.type === "Updated" && c.status === "True");
    });
    assert.is(done.reason, "OnLatestRevision");

    // Deleted: the finalize hook scales to 0 before the runtime lets the CatSet go.
    await k(
      "patch",
      "catset",
      "nginx-backend",
      "-n",
      ns(),
      "--type=json",
      "-p",
      `[{"op":"add","path":"/metadata/finalizers/-","value":"${finalizer}"}]`,
    );
    await k("delete", "catset", "nginx-backend", "-n", ns(), "--wait=false");
    const final = await eventually("only our finalizer left", async () => {
      const parent = await get("catset", "nginx-backend");
      return JSON.stringify(parent?.metadata?.finalizers) === JSON.stringify([finalizer]) ? parent : undefined;
    }, { timeoutMs: 60_000 });
    assert.is(final.status.replicas, 0, "the finalize hook scaled to 0");
    assert.equal(await pods(), new Map());
    await k("patch", "catset", "nginx-backend", "-n", ns(), "--type=merge", "-p", '{"metadata":{"finalizers":[]}}');
    await eventually(
      "the claims collected with the CatSet",
      async () => (await items("pvc", "app=nginx,component=backend")).length === 0,
    );
  } finally {
    await kubectl(admin, [
      "patch",
      "catset",
      "nginx-backend",
      "-n",
      ns(),
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":[]}}',
    ]);
    await kubectl(admin, ["delete", "compositecontroller", "catset", "--ignore-not-found"]);
    await kubectl(admin, ["delete", "pvc", "-n", ns(), "-l", "app=nginx,component=backend", "--wait=false"]);
    await kubectl(admin, ["delete", "pv", ...volumes, "--ignore-not-found", "--wait=false"]);
    await kubectl(admin, ["delete", "storageclass", storageClass, "--ignore-not-found"]);
  }
});

test("daemonjob: Complete once its pod is ready on every node, then its DaemonSet is removed", async () => {
  await apply(composite("daemonjob", {
    parent: "daemonjobs",
    children: ["{apiVersion: apps/v1, resource: daemonsets}"],
    sync: "/daemonjob/sync",
  }));
  await apply(`apiVersion: ${group}/v1
kind: DaemonJob
metadata: {name: hello-world, namespace: ${ns()}}
spec:
  template:
    metadata: {labels: {app: hello-world}}
    spec:
      initContainers: [{name: hello, image: registry.invalid/busybox:1, command: [echo, hello]}]
      containers: [{name: pause, image: registry.invalid/pause:3}]
`);
  const done = await eventually("the DaemonJob Complete", async () => {
    const parent = await get("daemonjob", "hello-world");
    return parent?.status?.conditions?.[0]?.status === "True" ? parent : undefined;
  }, { timeoutMs: 60_000 });
  assert.equal(done.status.conditions[0], {
    type: "Complete",
    status: "True",
    reason: "AllNodesReady",
    message: "ready on 1 of 1 nodes",
  }, "observedGeneration, which the schema lacks, is pruned");
  await eventually("the DaemonSet removed", async () => (await get("daemonset", "hello-world-dj")) === undefined);
  await k("delete", "compositecontroller", "daemonjob");
});

test("indexedjob: every index runs to completion, at most parallelism at a time, each told its index", async () => {
  await apply(composite("indexedjob", {
    parent: "indexedjobs",
    children: ["{apiVersion: v1, resource: pods}"],
    sync: "/indexedjob/sync",
  }));
  await apply(`apiVersion: ${group}/v1
kind: IndexedJob
metadata: {name: print-index, namespace: ${ns()}}
spec:
  completions: 6
  parallelism: 2
  template:
    metadata: {labels: {app: print-index}}
    spec: {containers: [{name: print, image: registry.invalid/busybox:1, command: [sh, -c, echo $INDEX]}]}
`);
  let mostRunning = 0;
  const parent = await eventually("6 completions", async () => {
    const pods = await items("pods", "app=print-index");
    mostRunning = Math.max(mostRunning, pods.filter((pod) => pod.status?.phase !== "Succeeded").length);
    const parent = await get("indexedjob", "print-index");
    return parent?.status?.succeeded === 6 ? parent : undefined;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  assert.is(parent.status.active, 0);
  assert.ok(mostRunning <= 2, `at most 2 pods unfinished at a time (saw ${mostRunning})`);
  const last = await get("pod", "print-index-5");
  assert.equal(last?.spec.containers[0].env, [{ name: "INDEX", value: "5" }]);
  assert.is(last?.status.phase, "Succeeded");
  await k("delete", "compositecontroller", "indexedjob");
});

test("crd-roles: a reader ClusterRole for every CustomResourceDefinition picked, collected with it", async () => {
  const crdGroup = `${ns()}.examples.test`;
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: crd-roles}
spec:
  resources:
  - apiVersion: apiextensions.k8s.io/v1
    resource: customresourcedefinitions
    annotationSelector: {matchExpressions: [{key: examples.test/reader-role, operator: Exists}]}
  attachments:
  - {apiVersion: rbac.authorization.k8s.io/v1, resource: clusterroles}
  hooks:
    sync: {webhook: {url: "${hooks!.url}/crd-reader/sync"}}
`);
  const testCrd = (plural: string, annotated: boolean) =>
    looseCrd(crdGroup, plural, plural[0]!.toUpperCase() + plural.slice(1, -1)).replace(
      `metadata: {name: ${plural}.${crdGroup}}`,
      `metadata: {name: ${plural}.${crdGroup}${annotated ? `, annotations: {examples.test/reader-role: "yes"}` : ""}}`,
    );
  try {
    await apply(testCrd("mytests", true));
    await apply(testCrd("others", false));
    const role = await eventually("the ClusterRole", () => get("clusterrole", `mytests.${crdGroup}-reader`, false));
    assert.equal(role.rules, [{ apiGroups: [crdGroup], resources: ["mytests"], verbs: ["get", "list", "watch"] }]);
    assert.is(role.metadata.ownerReferences[0].kind, "CustomResourceDefinition");
    assert.is(await get("clusterrole", `others.${crdGroup}-reader`, false), undefined, "a CRD not picked has none");
    await k("delete", "crd", `mytests.${crdGroup}`);
    await eventually(
      "the ClusterRole collected",
      async () => (await get("clusterrole", `mytests.${crdGroup}-reader`, false)) === undefined,
    );
  } finally {
    await kubectl(admin, ["delete", "decoratorcontroller", "crd-roles", "--ignore-not-found"]);
    await kubectl(admin, ["delete", "crd", `mytests.${crdGroup}`, `others.${crdGroup}`, "--ignore-not-found"]);
  }
});

test("clusteredparent: a cluster-scoped parent's namespaced attachment is made again when deleted, and collected with it", async () => {
  const role = `examples-${ns()}`;
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: cluster-parent}
spec:
  resources:
  - apiVersion: rbac.authorization.k8s.io/v1
    resource: clusterroles
    annotationSelector: {matchExpressions: [{key: example.test/bind-in, operator: Exists}]}
  attachments:
  - {apiVersion: rbac.authorization.k8s.io/v1, resource: rolebindings}
  hooks:
    sync: {webhook: {url: "${hooks!.url}/bind-default/sync"}}
`);
  try {
    await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ${role}, annotations: {example.test/bind-in: ${ns()}}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
`);
    const binding = await eventually("the RoleBinding", () => get("rolebinding", role));
    assert.equal(binding.subjects, [{ kind: "ServiceAccount", name: "default", namespace: ns() }]);
    await k("delete", "rolebinding", role, "-n", ns(), "--wait=true");
    const again = await eventually("the RoleBinding made again", () => get("rolebinding", role));
    assert.is.not(again.metadata.uid, binding.metadata.uid);
    await k("delete", "clusterrole", role);
    await eventually("the RoleBinding collected", async () => (await get("rolebinding", role)) === undefined);
  } finally {
    await kubectl(admin, ["delete", "decoratorcontroller", "cluster-parent", "--ignore-not-found"]);
    await kubectl(admin, ["delete", "clusterrole", role, "--ignore-not-found"]);
  }
});

test("configmap-list-v2: a v2 customize hook reads another namespace; related objects keyed namespace/name", async () => {
  const source = await freshNamespace(testKubeConfig(), "e2e-source");
  try {
    for (const name of ["cm-1", "cm-2"]) await k("create", "configmap", name, "-n", source.name, "--from-literal=k=v");
    await apply(composite("configmap-list", {
      parent: "configmaplists",
      children: ["{apiVersion: v1, resource: configmaps}"],
      sync: "/list/sync",
      customize: "/configmaps-in/customize",
      version: "v2",
    }));
    await apply(
      `apiVersion: ${group}/v1\nkind: ConfigMapList\nmetadata: {name: my-config-list, namespace: ${ns()}}\nspec: {sourceNamespace: ${source.name}}\n`,
    );
    const list = await eventually("the list ConfigMap", async () => {
      const found = await get("configmap", "my-config-list-list");
      return found?.data?.items?.includes("cm-2") ? found : undefined;
    });
    // kube-root-ca.crt is in every namespace, as in upstream's test cluster.
    assert.equal(list.data.items.split("\n").filter((key: string) => !key.endsWith("/kube-root-ca.crt")), [
      `${source.name}/cm-1`,
      `${source.name}/cm-2`,
    ]);
    await eventually(
      "status.count",
      async () => (await get(`configmaplists.${group}`, "my-config-list"))?.status?.count === 3,
    );
  } finally {
    await kubectl(admin, ["delete", "compositecontroller", "configmap-list", "--ignore-not-found"]);
    await source.remove();
  }
});

test("namespace-list-v2: related Namespaces by label, keyed by name", async () => {
  await k("label", "namespace", ns(), "examples.test/listed=yes");
  await apply(composite("namespace-list", {
    parent: "namespacelists",
    children: ["{apiVersion: v1, resource: configmaps}"],
    sync: "/list/sync",
    customize: "/namespaces-labelled/customize",
    version: "v2",
  }));
  try {
    await apply(`apiVersion: ${group}/v1
kind: NamespaceList
metadata: {name: filtered-namespaces, namespace: ${ns()}}
spec: {selector: {matchLabels: {examples.test/listed: "yes"}}}
`);
    const list = await eventually("the list ConfigMap", async () => {
      const found = await get("configmap", "filtered-namespaces-list");
      return found?.data?.items === ns() ? found : undefined;
    });
    assert.is(list.data.items, ns());
    await eventually(
      "status.count",
      async () => (await get(`namespacelists.${group}`, "filtered-namespaces"))?.status?.count === 1,
    );
  } finally {
    await kubectl(admin, ["delete", "compositecontroller", "namespace-list", "--ignore-not-found"]);
  }
});

test("secretpropagation: a cluster-scoped parent copies a Secret into the namespaces its selector picks; status written", async () => {
  const targets = [
    await freshNamespace(testKubeConfig(), "e2e-alpha"),
    await freshNamespace(testKubeConfig(), "e2e-beta"),
  ];
  const skipped = await freshNamespace(testKubeConfig(), "e2e-gamma");
  const label = `examples.test/secrets-${ns()}`;
  try {
    for (const target of targets) await k("label", "namespace", target.name, `${label}=yes`);
    await k("create", "secret", "generic", "shareable", "-n", ns(), "--from-literal=password=s3cret");
    await apply(composite("secret-propagation", {
      parent: "secretpropagations",
      children: ["{apiVersion: v1, resource: secrets}"],
      sync: "/secrets/sync",
      customize: "/secrets/customize",
      version: "v2",
    }));
    await apply(`apiVersion: ${group}/v1
kind: SecretPropagation
metadata: {name: secret-propagation-${ns()}}
spec: {source: ${ns()}/shareable, namespaceLabel: "${label}", namespaceLabelValue: "yes"}
`);
    for (const target of targets) {
      const copy = await eventually(`the copy in ${target.name}`, async () => {
        const found = await kubectl(admin, ["get", "secret", "shareable", "-n", target.name, "-o", "json"]);
        return found.code === 0 ? JSON.parse(found.stdout) : undefined;
      });
      assert.is(Buffer.from(copy.data.password, "base64").toString(), "s3cret");
    }
    const parent = await eventually("status.working", async () => {
      const found = await get("secretpropagation", `secret-propagation-${ns()}`, false);
      return found?.status?.working === "fine" ? found : undefined;
    });
    assert.equal(parent.status, { working: "fine", copies: 2 });
    const left = await kubectl(admin, ["get", "secret", "shareable", "-n", skipped.name]);
    assert.is.not(left.code, 0, "no copy where the selector does not pick");
  } finally {
    await kubectl(admin, ["delete", "secretpropagation", `secret-propagation-${ns()}`, "--ignore-not-found"]);
    await kubectl(admin, ["delete", "compositecontroller", "secret-propagation", "--ignore-not-found"]);
    for (const target of [...targets, skipped]) await target.remove();
  }
});

test("service-per-pod-v2: a Service per pod, attachments keyed namespace/name; opted out, finalized and removed; opted in again", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: service-per-pod}
spec:
  resources:
  - apiVersion: apps/v1
    resource: statefulsets
    annotationSelector: {matchExpressions: [{key: example.test/service-per-pod-port, operator: Exists}]}
  attachments:
  - {apiVersion: v1, resource: services}
  hooks:
    sync: {version: v2, webhook: {url: "${hooks!.url}/service-per-pod/sync"}}
    finalize: {version: v2, webhook: {url: "${hooks!.url}/service-per-pod/finalize"}}
`);
  const annotated = (yes: boolean) =>
    `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: ${ns()}
  annotations: {${yes ? `example.test/service-per-pod-port: "8080"` : ""}}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web-per-pod}}
  template:
    metadata: {labels: {app: web-per-pod}}
    spec: {containers: [{name: web, image: registry.invalid/nginx:1}]}
`;
  const services = (): Promise<Array<Json | undefined>> =>
    Promise.all(["web-0", "web-1"].map((name) => get("service", name)));
  try {
    await apply(annotated(true));
    const made = await eventually("a Service per pod", async () => {
      const found = await services();
      return found.every(Boolean) ? (found as Json[]) : undefined;
    });
    assert.equal(made.map((service) => service.spec.selector), [
      { "statefulset.kubernetes.io/pod-name": "web-0" },
      { "statefulset.kubernetes.io/pod-name": "web-1" },
    ]);
    assert.is(made[0]!.spec.ports[0].port, 8080);
    // The hook tells which keys it was given: v2 keys namespaced attachments namespace/name.
    await eventually(
      "the v2 keys",
      async () =>
        (await get("statefulset", "web"))?.metadata?.annotations?.["example.test/seen-services"] ===
          `${ns()}/web-0,${ns()}/web-1`,
    );
    const held = await eventually(
      "the decorator's finalizer",
      async () =>
        ((await get("statefulset", "web"))?.metadata?.finalizers ?? []).find((f: string) =>
          f.includes("service-per-pod")
        ),
    );
    // Opted out: the finalize hook removes the Services, then the finalizer goes.
    await apply(annotated(false));
    await eventually("the Services removed", async () => (await services()).every((service) => !service));
    await eventually(
      "the finalizer removed",
      async () => !((await get("statefulset", "web"))?.metadata?.finalizers ?? []).includes(held),
    );
    assert.ok(await get("statefulset", "web"), "the StatefulSet itself stays");
    // Opted in again.
    await apply(annotated(true));
    await eventually("the Services back", async () => (await services()).every(Boolean));
  } finally {
    await kubectl(admin, ["delete", "decoratorcontroller", "service-per-pod", "--ignore-not-found"]);
    await kubectl(admin, [
      "patch",
      "statefulset",
      "web",
      "-n",
      ns(),
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await kubectl(admin, ["delete", "statefulset", "web", "-n", ns(), "--ignore-not-found"]);
  }
});

test("configmappropagation: parentResource.labelSelector picks which parents are synced; copies where the namespaces' label says", async () => {
  const targets = [
    await freshNamespace(testKubeConfig(), "e2e-one"),
    await freshNamespace(testKubeConfig(), "e2e-two"),
    await freshNamespace(testKubeConfig(), "e2e-three"),
  ];
  const unlabelled = await freshNamespace(testKubeConfig(), "e2e-four");
  const label = `cmp-${ns()}`;
  try {
    for (const target of targets) await k("label", "namespace", target.name, `propagate=${label}`);
    await k("create", "configmap", "settings", "-n", ns(), "--from-literal=mode=fast");
    await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: configmap-propagation}
spec:
  parentResource:
    apiVersion: ${group}/v1
    resource: configmappropagations
    labelSelector: {matchLabels: {propagate: "yes"}}
  childResources: [{apiVersion: v1, resource: configmaps}]
  hooks:
    sync: {version: v2, webhook: {url: "${hooks!.url}/propagate/sync"}}
    customize: {version: v2, webhook: {url: "${hooks!.url}/propagate/customize"}}
`);
    const propagation = (name: string, picked: string) =>
      `apiVersion: ${group}/v1
kind: ConfigMapPropagation
metadata: {name: ${name}, labels: {propagate: "${picked}"}}
spec: {source: ${ns()}/settings, label: ${label}}
`;
    await apply(propagation(`ignored-${ns()}`, "no"));
    await apply(propagation(`picked-${ns()}`, "yes"));
    for (const target of targets) {
      const copy = await eventually(`the copy in ${target.name}`, async () => {
        const found = await kubectl(admin, [
          "get",
          "configmap",
          `picked-${ns()}-copy`,
          "-n",
          target.name,
          "-o",
          "json",
        ]);
        return found.code === 0 ? JSON.parse(found.stdout) : undefined;
      });
      assert.equal(copy.data, { mode: "fast" });
    }
    await eventually(
      "status.copies",
      async () => (await get(`configmappropagations.${group}`, `picked-${ns()}`, false))?.status?.copies === 3,
    );
    for (const namespace of [...targets, unlabelled]) {
      const copies = JSON.parse(await k("get", "configmaps", "-n", namespace.name, "-o", "json")).items
        .map((item: Json) => item.metadata.name as string)
        .filter((name: string) => name.endsWith("-copy"));
      assert.equal(copies, namespace === unlabelled ? [] : [`picked-${ns()}-copy`], `copies in ${namespace.name}`);
    }
    const ignored = await get(`configmappropagations.${group}`, `ignored-${ns()}`, false);
    assert.is(ignored?.status, undefined, "the parent the selector does not pick is never synced");
  } finally {
    await kubectl(admin, ["delete", `configmappropagations.${group}`, "--all"]);
    await kubectl(admin, ["delete", "compositecontroller", "configmap-propagation", "--ignore-not-found"]);
    for (const namespace of [...targets, unlabelled]) await namespace.remove();
  }
});

test("leader-election: the leader killed with SIGKILL mid-work, the standby leads within the Lease and finishes", async () => {
  const standby = await startMetacontroller("examples-b", election);
  replicas.push(standby);
  await eventually("examples-b ready", async () => (await standby.readyz()).ready);
  await apply(composite("indexedjob-ha", {
    parent: "indexedjobs",
    children: ["{apiVersion: v1, resource: pods}"],
    sync: "/indexedjob/sync",
  }));
  const leader = replicas[0]!;
  await apply(`apiVersion: ${group}/v1
kind: IndexedJob
metadata: {name: survive, namespace: ${ns()}}
spec:
  completions: 8
  parallelism: 2
  template:
    metadata: {labels: {app: survive}}
    spec: {containers: [{name: print, image: registry.invalid/busybox:1}]}
`);
  // Every pod each index ever had, by UID: an index run twice would show two.
  const seen = new Map<string, Set<string>>();
  const look = async () => {
    const pods = await items("pods", "app=survive");
    for (const pod of pods) {
      seen.set(pod.metadata.name, (seen.get(pod.metadata.name) ?? new Set()).add(pod.metadata.uid));
    }
    return pods;
  };
  await eventually("the first pods", async () => (await look()).length > 0, { intervalMs: 50 });
  const killedAt = Date.now();
  await leader.stop("SIGKILL");
  await eventually("the standby to lead", async () => (await standby.readyz()).leader, { timeoutMs: 15_000 });
  const ledAfterMs = Date.now() - killedAt;
  const parent = await eventually("8 completions", async () => {
    await look();
    const found = await get("indexedjob", "survive");
    return found?.status?.succeeded === 8 ? found : undefined;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  const doneAfterMs = Date.now() - killedAt;
  // The last pods can be made, succeed and be counted between one look and the status read
  // after it; the parent keeps every index's pod, so one more look sees them.
  await look();
  assert.is(parent.status.active, 0);
  assert.equal(
    [...seen.keys()].sort(),
    [0, 1, 2, 3, 4, 5, 6, 7].map((index) => `survive-${index}`),
    "every index ran: nothing lost",
  );
  assert.equal([...seen].filter(([, uids]) => uids.size > 1).map(([name]) => name), [], "no index ran twice");
  console.log(`[leader-election] standby led ${ledAfterMs} ms after SIGKILL; all done ${doneAfterMs} ms after it`);
  await k("delete", "compositecontroller", "indexedjob-ha");
});

test.run();
