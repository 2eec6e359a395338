// Metacontroller's API on our runtime, by kubectl, against the real control plane: a
// CompositeController and a DecoratorController whose hooks are a hook server written in Go
// with the standard library only (test/interop/go/hooks), run by functions/metacontroller/main.ts under the
// metacontroller ServiceAccount with the RBAC a user adds by aggregation.
import * as assert from "uvu/assert";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import {
  installMetacontroller,
  looseCrd,
  startHooks,
  startMetacontroller,
  userClusterRole,
} from "../../../support/metacontroller.ts";
import { suite } from "../../../support/suite.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: Metacontroller's CompositeController and DecoratorController");
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const apply = (yaml: string) => kubectlOrThrow(admin, ["apply", "-f", "-"], yaml);
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let hooks: Awaited<ReturnType<typeof startHooks>> | undefined;
let hookUrl = "";
const replicas: SampleProcess[] = [];
const ns = () => namespace.name;
const json = async (...args: string[]) => JSON.parse(await k(...args, "-n", ns(), "-o", "json"));
const configMap = (name: string) =>
  kubectl(admin, ["get", "configmap", name, "-n", ns(), "-o", "json"]).then((
    r,
  ) => (r.code === 0 ? JSON.parse(r.stdout) : undefined));
const readyOf = async (kind: string, name: string) => {
  const object = JSON.parse(await k("get", kind, name, "-o", "json"));
  return (object.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
};

/** The newest Warning Event (events.k8s.io/v1) about an object whose note matches. */
const warning = async (kind: string, name: string, note: RegExp) => {
  const events = (await json("get", "events.events.k8s.io")).items as Array<
    { type: string; reason: string; note?: string; regarding?: { kind: string; name: string } }
  >;
  return events.filter((event) =>
    event.type === "Warning" && event.regarding?.kind === kind && event.regarding.name === name &&
    note.test(event.note ?? "")
  ).at(-1);
};

const greetingCrd = looseCrd("example.test", "greetings", "Greeting");
/** A kind whose status schema declares only "hook": what else a hook answers there is pruned. */
const tidyCrd = looseCrd("example.test", "tidies", "Tidy", {
  status: "{type: object, properties: {hook: {type: string}}}",
});
const farewellCrd = looseCrd("example.test", "farewells", "Farewell");
/** A cluster-scoped kind, whose children are in namespaces of their own. */
const propagationCrd = looseCrd("example.test", "propagations", "Propagation", { scope: "Cluster" });
const userRbac = userClusterRole("metacontroller-greetings", "example.test", [
  "greetings",
  "farewells",
  "tidies",
  "propagations",
], [
  `{apiGroups: [""], resources: [secrets], verbs: [list, watch]}`,
  `{apiGroups: [""], resources: [configmaps], verbs: [list, watch, create, patch, delete]}`,
  `{apiGroups: [apps], resources: [deployments], verbs: [list, watch, patch, create, delete]}`,
  `{apiGroups: [apps], resources: [deployments/status], verbs: [patch]}`,
  `{apiGroups: [apps], resources: [deployments/finalizers], verbs: [update]}`,
]);
const composite = (
  options: { path?: string; method?: string; timeout?: string; finalize?: boolean; name?: string } = {},
) =>
  `apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: ${options.name ?? "greet"}}
spec:
  generateSelector: true
  parentResource: {apiVersion: example.test/v1, resource: greetings}
  childResources:
  - apiVersion: v1
    resource: configmaps
    updateStrategy: {method: ${options.method ?? "InPlace"}}
  hooks:
    sync:
      webhook: {url: "${hookUrl}${options.path ?? "/v1/sync"}"${options.timeout ? `, timeout: ${options.timeout}` : ""}}
${options.finalize ? `    finalize:\n      webhook: {url: "${hookUrl}/finalize"}\n` : ""}`;
const greeting = (name: string, spec: Record<string, string>) =>
  `apiVersion: example.test/v1\nkind: Greeting\nmetadata: {name: ${name}, namespace: ${ns()}}\nspec: ${
    JSON.stringify(spec)
  }\n`;

async function startReplica(identity: string, waitFor: "leader" | "ready"): Promise<SampleProcess> {
  const replica = await startMetacontroller(identity);
  await eventually(
    `${identity} to be ${waitFor}`,
    async () => (await replica.readyz())[waitFor === "leader" ? "leader" : "ready"],
  );
  replicas.push(replica);
  return replica;
}

test.before(async () => {
  hooks = await startHooks();
  hookUrl = hooks.url;
  await installMetacontroller();
  await apply(greetingCrd);
  await apply(farewellCrd);
  await apply(tidyCrd);
  await apply(propagationCrd);
  await apply(userRbac);
  await k(
    "wait",
    "--for=condition=Established",
    "crd/greetings.example.test",
    "crd/farewells.example.test",
    "crd/tidies.example.test",
    "crd/propagations.example.test",
    "crd/compositecontrollers.metacontroller.k8s.io",
    "crd/decoratorcontrollers.metacontroller.k8s.io",
  );
  namespace = await freshNamespace(testKubeConfig(), "e2e-meta");
  await startReplica("meta-a", "leader");
  await startReplica("meta-b", "ready");
});

test.after(async () => {
  await kubectl(admin, ["delete", "compositecontrollers,decoratorcontrollers", "--all", "--wait=false"]);
  // Finalizers of a CompositeController that is gone stay on its parents, as with Metacontroller.
  const left = await kubectl(admin, ["get", "greetings", "-n", ns(), "-o", "name"]);
  for (const name of left.stdout.split("\n").filter(Boolean)) {
    await kubectl(admin, ["patch", name, "-n", ns(), "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
  }
  for (const replica of replicas) await replica.stop();
  hooks?.stop();
  await namespace?.remove();
});

test("a CompositeController runs with no restart: its sync hook creates a ConfigMap per Greeting and reports status", async () => {
  await apply(composite());
  const ready = await eventually(
    "the CompositeController to run",
    async () => ((await readyOf("compositecontroller", "greet"))?.status === "True"
      ? readyOf("compositecontroller", "greet")
      : undefined),
  );
  assert.is(ready.message, "runs greet");
  await apply(greeting("hello", { message: "hi" }));
  const child = await eventually("the greeting's ConfigMap", () => configMap("hello-greeting"));
  assert.equal(child.data, { message: "hi", hook: "v1" });
  assert.is(child.metadata.ownerReferences[0].kind, "Greeting");
  const parent = await eventually("the hook's status", async () => {
    const g = await json("get", "greeting", "hello");
    return g.status?.configMaps === 1 ? g : undefined;
  });
  assert.is(parent.status.hook, "v1");
});

test("updating the parent updates the child in place; with Recreate the child is deleted and created anew", async () => {
  const before = await configMap("hello-greeting");
  await k("patch", "greeting", "hello", "-n", ns(), "--type=merge", "-p", '{"spec":{"message":"hello again"}}');
  const inPlace = await eventually(
    "the message updated",
    async () => ((await configMap("hello-greeting"))?.data?.message === "hello again"
      ? configMap("hello-greeting")
      : undefined),
  );
  assert.is(inPlace.metadata.uid, before.metadata.uid, "InPlace keeps the object");
  await apply(composite({ method: "Recreate" }));
  await eventually(
    "the controller to run the new spec",
    async () => (await readyOf("compositecontroller", "greet"))?.observedGeneration === 2,
  );
  await k("patch", "greeting", "hello", "-n", ns(), "--type=merge", "-p", '{"spec":{"message":"recreated"}}');
  const recreated = await eventually("the child recreated", async () => {
    const cm = await configMap("hello-greeting");
    return cm?.data?.message === "recreated" ? cm : undefined;
  });
  assert.is.not(recreated.metadata.uid, before.metadata.uid, "Recreate makes a new object");
});

test("editing the hook URL takes effect at once", async () => {
  await apply(composite({ path: "/v2/sync" }));
  const child = await eventually(
    "the v2 hook's answer",
    async () => ((await configMap("hello-greeting"))?.data?.hook === "v2" ? configMap("hello-greeting") : undefined),
  );
  assert.is(child.data.message, "recreated");
});

test("a hook that answers 500 or too late is told by a Warning Event, not in the parent; it recovers when the hook does", async () => {
  await k("patch", "greeting", "hello", "-n", ns(), "--type=merge", "-p", '{"spec":{"mode":"fail"}}');
  const failed = await eventually("a Warning Event for the 500", () => warning("Greeting", "hello", /answered 500/));
  assert.is(failed.reason, "SyncFailed");
  assert.match(failed.note ?? "", /\/v2\/sync answered 500: failing on purpose/);
  assert.not.ok(
    ((await json("get", "greeting", "hello")).status?.conditions ?? []).length,
    "Metacontroller writes no condition into the parent",
  );
  await apply(composite({ path: "/v2/sync", timeout: "1s" }));
  await k("patch", "greeting", "hello", "-n", ns(), "--type=merge", "-p", '{"spec":{"mode":"slow"}}');
  await eventually("a Warning Event for the timeout", () => warning("Greeting", "hello", /did not answer within 1 s/));
  await k(
    "patch",
    "greeting",
    "hello",
    "-n",
    ns(),
    "--type=json",
    "-p",
    '[{"op":"remove","path":"/spec/mode"},{"op":"replace","path":"/spec/message","value":"recovered"}]',
  );
  await eventually(
    "the child synced again",
    async () => (await configMap("hello-greeting"))?.data?.message === "recovered",
    { timeoutMs: 90_000 },
  );
});

test("a resource the cluster lacks is reported on the CompositeController", async () => {
  await apply(composite({ name: "rolling" }).replace("resource: greetings", "resource: nothings"));
  await eventually(
    "the missing resource named",
    async () => (await readyOf("compositecontroller", "rolling"))?.message?.includes('serves no resource "nothings"'),
  );
  await k("delete", "compositecontroller", "rolling");
});

test("a finalize hook keeps a deleted parent until it answers finalized", async () => {
  await apply(composite({ path: "/v2/sync", finalize: true }));
  await apply(greeting("bye", { message: "later" }));
  await eventually(
    "the finalizer",
    async () => (await json("get", "greeting", "bye")).metadata.finalizers?.includes("metacontroller.k8s.io/greet"),
  );
  await k("delete", "greeting", "bye", "-n", ns(), "--wait=false");
  const held = await eventually("the hook to have been asked", async () => {
    const g = await json("get", "greeting", "bye");
    return g.status?.finalizing ? g : undefined;
  });
  assert.ok(held.metadata.deletionTimestamp, "still there, being deleted");
  await k("annotate", "greeting", "bye", "-n", ns(), "example.test/release=true");
  await eventually(
    "the greeting gone",
    async () => (await kubectl(admin, ["get", "greeting", "bye", "-n", ns()])).code !== 0,
  );
});

test("a DecoratorController adds an attachment and a label to every Deployment its selector picks", async () => {
  const deployment = (name: string, labels: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${ns()}, labels: {${labels}}}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: c, image: example}]}\n`;
  await apply(deployment("plain", "app: plain"));
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: decorate}
spec:
  resources:
  - {apiVersion: apps/v1, resource: deployments, labelSelector: {matchLabels: {decorate: "yes"}}}
  attachments:
  - {apiVersion: v1, resource: configmaps}
  hooks:
    sync: {webhook: {url: "${hookUrl}/decorate"}}
`);
  await apply(deployment("fancy", "app: fancy, decorate: 'yes'"));
  const attachment = await eventually("the attachment", () => configMap("fancy-decoration"));
  assert.equal(attachment.data, { for: "fancy" });
  assert.is(attachment.metadata.ownerReferences[0].name, "fancy");
  await eventually(
    "the label",
    async () => (await json("get", "deployment", "fancy")).metadata.labels.decorated === "true",
  );
  assert.is(await configMap("plain-decoration"), undefined, "a Deployment the selector does not pick is left alone");
  assert.is((await json("get", "deployment", "plain")).metadata.labels.decorated, undefined);
});

test("a DecoratorController's object opted out by its annotation is finalized and let go; opted in again, decorated again", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: mirror}
spec:
  resources:
  - {apiVersion: v1, resource: configmaps, annotationSelector: {matchExpressions: [{key: mirror, operator: Exists}]}}
  attachments:
  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}
  hooks:
    sync: {webhook: {url: "${hookUrl}/mirror/sync"}}
    finalize: {webhook: {url: "${hookUrl}/mirror/finalize"}}
`);
  try {
    await apply(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: source, namespace: ${ns()}, annotations: {mirror: "yes"}}\ndata: {a: "1"}\n`,
    );
    const copy = await eventually("the mirror", () => configMap("source-mirror"));
    assert.equal(copy.data, { a: "1" });
    assert.is(copy.metadata.ownerReferences[0].name, "source");
    const held = await eventually(
      "the decorator's finalizer on the source",
      async () => ((await configMap("source"))?.metadata.finalizers ?? []).find((f: string) => f.includes("mirror")),
    );
    // Opt out: the finalize hook runs while the finalizer holds, its attachments go, then the finalizer.
    await k("annotate", "configmap", "source", "mirror-", "-n", ns());
    await eventually("the mirror removed", async () => (await configMap("source-mirror")) === undefined);
    await eventually(
      "the finalizer removed",
      async () => !((await configMap("source"))?.metadata.finalizers ?? []).includes(held),
    );
    assert.equal((await configMap("source")).data, { a: "1" }, "the source itself stays");
    // Opt in again.
    await k("annotate", "configmap", "source", "mirror=again", "-n", ns());
    await eventually("the mirror back", async () => (await configMap("source-mirror"))?.data?.a === "1");
    await k("annotate", "configmap", "source", "mirror-", "-n", ns());
    await eventually(
      "let go again",
      async () => !((await configMap("source"))?.metadata.finalizers ?? []).includes(held),
    );
  } finally {
    await kubectl(admin, ["delete", "decoratorcontroller", "mirror", "--ignore-not-found"]);
  }
});

test("a customize hook names related objects per parent; the parent is synced again when they appear", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: farewell}
spec:
  parentResource: {apiVersion: example.test/v1, resource: farewells}
  childResources: [{apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}]
  hooks:
    sync: {webhook: {url: "${hookUrl}/related/sync"}}
    customize: {webhook: {url: "${hookUrl}/related/customize"}}
`);
  await apply(
    `apiVersion: example.test/v1\nkind: Farewell\nmetadata: {name: later, namespace: ${ns()}}\nspec: {secret: token}\n`,
  );
  await eventually(
    "the child without the Secret",
    async () => (await configMap("later-related"))?.data?.secrets === "0",
  );
  await k("create", "secret", "generic", "token", "-n", ns(), "--from-literal=word=bye");
  await eventually(
    "the child once the Secret exists",
    async () => (await configMap("later-related"))?.data?.secrets === "1",
  );
  await k("delete", "compositecontroller", "farewell");
});

test("a v2 customize hook's namespaceSelector: related objects from the namespaces whose labels match", async () => {
  const team = `blue-${Date.now().toString(36)}`;
  const blue = await freshNamespace(testKubeConfig(), "e2e-meta-blue");
  const other = await freshNamespace(testKubeConfig(), "e2e-meta-other");
  try {
    await k("label", "namespace", blue.name, `team=${team}`);
    const shared = (namespace: string, name: string, sharedLabel = "yes") =>
      apply(
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {shared: "${sharedLabel}"}}\n`,
      );
    await shared(blue.name, "notes");
    await shared(blue.name, "private", "no");
    await shared(other.name, "notes");
    await shared(ns(), "notes");
    await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: team}
spec:
  parentResource: {apiVersion: example.test/v1, resource: farewells}
  childResources: [{apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}]
  hooks:
    sync: {version: v2, webhook: {url: "${hookUrl}/team/sync"}}
    customize: {version: v2, webhook: {url: "${hookUrl}/team/customize"}}
`);
    await apply(
      `apiVersion: example.test/v1\nkind: Farewell\nmetadata: {name: crew, namespace: ${ns()}}\nspec: {team: ${team}}\n`,
    );
    await eventually(
      "the child listing the team's shared ConfigMaps",
      async () => (await configMap("crew-team"))?.data?.shared === `${blue.name}/notes`,
    );
    // The other namespace joins the team; a new shared ConfigMap there brings both of its in.
    await k("label", "namespace", other.name, `team=${team}`);
    await shared(other.name, "more");
    await eventually(
      "the child listing the joined namespace's too",
      async () =>
        (await configMap("crew-team"))?.data?.shared ===
          [`${blue.name}/notes`, `${other.name}/more`, `${other.name}/notes`].sort().join("\n"),
    );
  } finally {
    await kubectl(admin, ["delete", "compositecontroller", "team", "--ignore-not-found"]);
    await blue.remove();
    await other.remove();
  }
});

test("a cluster-scoped parent copies a ConfigMap into every namespace its related namespaces select (v2)", async () => {
  const label = `p-${Date.now().toString(36)}`;
  const first = await freshNamespace(testKubeConfig(), "e2e-meta-copy-a");
  const second = await freshNamespace(testKubeConfig(), "e2e-meta-copy-b");
  const copyIn = (namespace: string) =>
    kubectl(admin, ["get", "configmap", `${label}-copy`, "-n", namespace, "-o", "json"]).then((r) =>
      r.code === 0 ? JSON.parse(r.stdout) : undefined
    );
  try {
    await k("label", "namespace", first.name, `propagate=${label}`);
    await apply(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${ns()}}\ndata: {level: "3"}\n`,
    );
    await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: propagate}
spec:
  parentResource: {apiVersion: example.test/v1, resource: propagations}
  childResources: [{apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}]
  hooks:
    sync: {version: v2, webhook: {url: "${hookUrl}/propagate/sync"}}
    customize: {version: v2, webhook: {url: "${hookUrl}/propagate/customize"}}
`);
    await apply(
      `apiVersion: example.test/v1\nkind: Propagation\nmetadata: {name: ${label}}\nspec: {source: ${ns()}/settings, label: ${label}}\n`,
    );
    const copy = await eventually("the copy in the labelled namespace", () => copyIn(first.name));
    assert.equal(copy.data, { level: "3" });
    assert.equal(copy.metadata.ownerReferences.map((o: Record<string, unknown>) => [o.kind, o.name]), [[
      "Propagation",
      label,
    ]]);
    assert.is(await copyIn(second.name), undefined, "none where the label is not");
    // A namespace gaining the label gets a copy; one losing it loses its copy; the source's edits follow.
    await k("label", "namespace", second.name, `propagate=${label}`);
    await eventually("the copy in the newly labelled namespace", () => copyIn(second.name));
    await k("label", "namespace", first.name, "propagate-");
    await eventually("the copy gone where the label went", async () => (await copyIn(first.name)) === undefined);
    await k("patch", "configmap", "settings", "-n", ns(), "--type=merge", "-p", '{"data":{"level":"4"}}');
    await eventually("the edit copied", async () => (await copyIn(second.name))?.data?.level === "4");
    const parent = JSON.parse(await k("get", "propagation", label, "-o", "json"));
    assert.is(parent.status.copies, 1);
  } finally {
    await kubectl(admin, ["delete", "propagation", "--all", "--wait=false"]);
    await kubectl(admin, ["delete", "compositecontroller", "propagate", "--ignore-not-found"]);
    await first.remove();
    await second.remove();
  }
});

test("RollingRecreate with statusChecks: one child at a time, in order, each after the one before passes", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: roll}
spec:
  parentResource: {apiVersion: example.test/v1, resource: farewells}
  childResources:
  - apiVersion: apps/v1
    resource: deployments
    updateStrategy:
      method: RollingRecreate
      statusChecks: {conditions: [{type: Available, status: "True"}]}
  hooks:
    sync: {webhook: {url: "${hookUrl}/roll/sync"}}
`);
  const members = ["wave-0", "wave-1", "wave-2"];
  const deployments = async () =>
    new Map(
      (await json("get", "deployments", "-l", "member")).items
        .filter((d: Record<string, any>) => members.includes(d.metadata.name))
        .map((d: Record<string, any>) => [d.metadata.name, d]),
    ) as Map<string, Record<string, any>>;
  const available = (d: Record<string, any> | undefined) =>
    (d?.status?.conditions ?? []).some((c: Record<string, string>) => c.type === "Available" && c.status === "True");
  try {
    await apply(
      `apiVersion: example.test/v1\nkind: Farewell\nmetadata: {name: wave, namespace: ${ns()}}\nspec: {version: "1"}\n`,
    );
    await eventually("three available Deployments of version 1", async () => {
      const now = await deployments();
      return now.size === 3 && [...now.values()].every(available);
    }, { timeoutMs: 60_000 });
    const before = new Map([...(await deployments())].map(([name, d]) => [name, d.metadata.uid as string]));
    await k("patch", "farewell", "wave", "-n", ns(), "--type=merge", "-p", '{"spec":{"version":"2"}}');
    // Watch the rollout: which were missing or replaced at each look, and in what order.
    const replacedAt = new Map<string, number>();
    let mostMissing = 0;
    let outOfTurn: string | undefined;
    await eventually("every Deployment recreated at version 2 and available", async () => {
      const now = await deployments();
      mostMissing = Math.max(mostMissing, 3 - now.size);
      for (const [index, name] of members.entries()) {
        const d = now.get(name);
        if (!d || d.metadata.uid === before.get(name) || replacedAt.has(name)) continue;
        replacedAt.set(name, replacedAt.size);
        // The one before it must be replaced and passing its checks already.
        const previous = index > 0 ? now.get(members[index - 1]!) : undefined;
        if (
          index > 0 && !(previous && previous.metadata.uid !== before.get(members[index - 1]!) && available(previous))
        ) {
          outOfTurn ??= `${name} was recreated before ${members[index - 1]} was replaced and available`;
        }
      }
      return replacedAt.size === 3 && [...now.values()].every((d) => available(d) && d.metadata.labels.version === "2");
    }, { timeoutMs: 90_000, intervalMs: 100 });
    assert.equal([...replacedAt.keys()], members, "recreated in the order the hook lists them");
    assert.is(outOfTurn, undefined);
    assert.ok(mostMissing <= 1, `at most one missing at a time (saw ${mostMissing})`);
  } finally {
    await kubectl(admin, ["delete", "compositecontroller", "roll", "--ignore-not-found"]);
    await kubectl(admin, ["delete", "deployments", "-l", "member", "-n", ns(), "--wait=false"]);
  }
});

test("the Lease hand-off: the standby runs the dynamic controllers as soon as the leader stops", async () => {
  const [leader, standby] = replicas as [SampleProcess, SampleProcess];
  await leader.stop("SIGTERM");
  await eventually("the standby to lead", async () => (await standby.readyz()).leader);
  await apply(greeting("after", { message: "handed over" }));
  const child = await eventually("the child made by the new leader", () => configMap("after-greeting"));
  assert.equal(child.data, { message: "handed over", hook: "v2" });
});

test("deleting the CompositeController stops it; its children stay", async () => {
  const standby = replicas[1]!;
  await k("delete", "compositecontroller", "greet");
  await eventually(
    "the controller removed",
    () =>
      standby.logs.some((line) => line.includes('"msg":"controller removed"') && line.includes('"controller":"greet"')),
  );
  const synced = await standby.metric("controller_runtime_reconcile_total", { controller: "greet" });
  await k("patch", "greeting", "after", "-n", ns(), "--type=merge", "-p", '{"spec":{"message":"nobody listens"}}');
  // A controller created after the patch answers for the same Greetings: once it has, the patch has been seen.
  await apply(composite({ name: "witness", path: "/v1/sync" }));
  await eventually(
    "the witness to sync the patched greeting",
    async () => (await configMap("after-greeting"))?.data?.message === "nobody listens",
  );
  assert.is(
    await standby.metric("controller_runtime_reconcile_total", { controller: "greet" }),
    synced,
    "greet synced nothing more",
  );
  assert.ok(await configMap("hello-greeting"), "children stay");
});

test("Metacontroller's writes: status fields the schema lacks are dropped, a child's status is ignored", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: tidy}
spec:
  parentResource: {apiVersion: example.test/v1, resource: tidies}
  childResources: [{apiVersion: v1, resource: configmaps}]
  hooks:
    sync: {webhook: {url: "${hookUrl}/v1/sync"}}
`);
  await apply(
    `apiVersion: example.test/v1\nkind: Tidy\nmetadata: {name: neat, namespace: ${ns()}}\nspec: {message: hi, mode: child-status}\n`,
  );
  const child = await eventually(
    "the child, written without the status its hook gave it",
    () => configMap("neat-greeting"),
  );
  assert.is(child.data.message, "hi");
  assert.is(child.status, undefined);
  const tidy = await eventually("the declared status field", async () => {
    const object = await json("get", "tidy", "neat");
    return object.status?.hook === "v1" ? object : undefined;
  });
  assert.equal(tidy.status, { hook: "v1" }, "configMaps and observedGeneration are not in the schema: pruned");
  await k("patch", "tidy", "neat", "-n", ns(), "--type=merge", "-p", '{"spec":{"mode":"fail"}}');
  await eventually("a Warning Event for the 500", () => warning("Tidy", "neat", /answered 500/));
  assert.equal((await json("get", "tidy", "neat")).status, { hook: "v1" }, "no condition written into the parent");
  await k("delete", "compositecontroller", "tidy");
});

test("parentResource.labelSelector: a parent the selector does not pick is left alone", async () => {
  await apply(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: picky}
spec:
  parentResource:
    apiVersion: example.test/v1
    resource: tidies
    labelSelector: {matchLabels: {pick: "yes"}}
  childResources: [{apiVersion: v1, resource: configmaps}]
  hooks:
    sync: {webhook: {url: "${hookUrl}/v1/sync"}}
`);
  const tidy = (name: string, labels: string) =>
    `apiVersion: example.test/v1\nkind: Tidy\nmetadata: {name: ${name}, namespace: ${ns()}, labels: {${labels}}}\nspec: {message: hi}\n`;
  await apply(tidy("unpicked", "pick: 'no'"));
  await apply(tidy("picked", "pick: 'yes'"));
  await eventually("the picked parent's child", () => configMap("picked-greeting"));
  assert.is(await configMap("unpicked-greeting"), undefined);
  assert.is((await json("get", "tidy", "unpicked")).status, undefined, "not synced, so no status");
  await k("delete", "compositecontroller", "picky");
});

test.run();
