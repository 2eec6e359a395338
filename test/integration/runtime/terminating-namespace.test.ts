// A parent whose namespace is being deleted: the API server refuses every new object there
// (403, cause NamespaceTerminating), so a sync that must make a child cannot succeed again.
// The runtime does not retry it, warn about it, or try to record Events there; the sync runs
// again only when the parent changes. The parent is kept alive in its terminating namespace by
// a ValidatingAdmissionPolicy that refuses its deletion, so the state is reached every time.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { isNamespaceTerminating, KubeClient, KubeError } from "../../../runtime/run.ts";
import { builtinKinds, kind, type KubeObject } from "../../../runtime/mod.ts";
import { type Widget, WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: a parent in a namespace being deleted");
const PolicyKind = kind(
  "admissionregistration.k8s.io/v1",
  "ValidatingAdmissionPolicy",
  "validatingadmissionpolicies",
  false,
);
const BindingKind = kind(
  "admissionregistration.k8s.io/v1",
  "ValidatingAdmissionPolicyBinding",
  "validatingadmissionpolicybindings",
  false,
);
const keepLabel = "test.kubefn.dev/keep";

let watched: Awaited<ReturnType<typeof freshNamespace>>;
let leases: Awaited<ReturnType<typeof freshNamespace>>;
let sample: SampleProcess;
let policy: string;

const widget = (name: string, labels: Record<string, string>, notes: string) =>
  client.create<Widget>(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    // ignored: the "widgets" controller (which holds a finalizer) leaves it to "widget-notes".
    metadata: { name, namespace: watched.name, labels },
    spec: { ignored: true, notes },
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logged = (message: string, key: string) =>
  sample.logs.filter((line) => line.includes(`"msg":"${message}"`) && line.includes(`"key":"${key}"`));

test.before(async () => {
  watched = await freshNamespace(config, "terminating");
  leases = await freshNamespace(config, "terminating-lease");
  policy = `keep-widgets-${watched.name}`;
  await installWidgetCrd(config);
  // Widgets labelled keep in the watched namespace cannot be deleted, not even by the namespace controller.
  await client.create(PolicyKind, {
    apiVersion: PolicyKind.apiVersion,
    kind: PolicyKind.kind,
    metadata: { name: policy },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{
          apiGroups: ["sample.runtime.test"],
          apiVersions: ["v1"],
          operations: ["DELETE"],
          resources: ["widgets"],
        }],
      },
      validations: [{ expression: "false", message: "this Widget is kept while its namespace is deleted" }],
    },
  } as KubeObject);
  await client.create(BindingKind, {
    apiVersion: BindingKind.apiVersion,
    kind: BindingKind.kind,
    metadata: { name: policy },
    spec: {
      policyName: policy,
      validationActions: ["Deny"],
      matchResources: {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": watched.name } },
        objectSelector: { matchLabels: { [keepLabel]: "true" } },
      },
    },
  } as KubeObject);
  sample = await startSample({
    identity: "sample-terminating",
    args: [`--namespaces=${watched.name}`, `--leader-election-namespace=${leases.name}`],
  });
  await eventually("the sample to lead", async () => (await sample.readyz()).leader);
});

test.after(async () => {
  await sample?.stop();
  await client.delete(BindingKind, undefined, policy).catch(() => undefined);
  await client.delete(PolicyKind, undefined, policy).catch(() => undefined);
  await watched?.remove();
  await leases?.remove();
});

test("a sync that cannot make its child there is not retried, warned about or given Events", async () => {
  // The policy is in force once it refuses a deletion; each probe it let through is made again.
  let probe = 0;
  await eventually("the policy to refuse deleting a kept Widget", async () => {
    const name = `probe-${probe}`;
    await widget(name, { [keepLabel]: "true" }, "probe").catch((error) => {
      if (!(error instanceof KubeError && error.status === 409)) throw error;
    });
    try {
      await client.delete(WidgetKind, watched.name, name);
      probe++;
      return false;
    } catch (error) {
      return (error as Error).message.includes("kept while its namespace is deleted");
    }
  }, { timeoutMs: 30_000 });
  await widget("kept", { [keepLabel]: "true" }, "one");
  const key = `${watched.name}/kept`;
  await eventually(
    "the kept Widget's notes ConfigMap",
    () => client.get(builtinKinds.ConfigMap, watched.name, "kept-notes"),
  );

  await watched.remove();
  // The namespace controller deletes the ConfigMap; the Widget stays, so its sync makes it again, and is refused.
  await eventually(
    "the sync to be refused for the terminating namespace",
    () => logged("the parent's namespace is being deleted; not retrying", key).length > 0,
    { timeoutMs: 60_000 },
  );
  const refused = await client.create(builtinKinds.ConfigMap, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "refused", namespace: watched.name },
  }).then(() => undefined, (error) => error);
  assert.ok(isNamespaceTerminating(refused), `a create there is refused as terminating: ${refused}`);
  assert.not.ok(
    isNamespaceTerminating(new KubeError(403, "Forbidden", "forbidden by RBAC")),
    "a plain Forbidden is not a terminating namespace",
  );

  const total = () => sample.metric("controller_runtime_reconcile_total", { controller: "widget-notes" });
  const errors = () => sample.metric("controller_runtime_reconcile_errors_total", { controller: "widget-notes" });
  const [totalBefore, errorsBefore] = [await total(), await errors()];
  await sleep(3_000);
  assert.is(await total(), totalBefore, "no retries while nothing changes");
  assert.is(await errors(), errorsBefore, "not counted as a failed sync");
  assert.equal(logged("sync failed", key), [], "no warning for the parent");
  assert.equal(
    sample.logs.filter((line) => line.includes('"level":"warn"') && line.includes("could not record an event")),
    [],
    "no warning for Events that cannot be recorded there",
  );

  // A change to the parent (an update, which the namespace still takes) syncs it once more.
  await client.patch(WidgetKind, watched.name, "kept", { spec: { notes: "two" } });
  await eventually("one more sync after the change", async () => (await total()) > totalBefore);
  await sleep(2_000);
  const afterChange = await total();
  assert.ok(
    afterChange - totalBefore <= 2,
    `a change syncs once or twice, not in a loop: ${afterChange - totalBefore}`,
  );
  assert.ok(sample.logs.every((line) => !line.includes('"msg":"sync failed"') || !line.includes(key)));
});

test.run();
