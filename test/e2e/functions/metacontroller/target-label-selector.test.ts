// Upstream's --target-label-selector against the real control plane: two instances of
// functions/metacontroller/main.ts, started with upstream's flags (Go spellings included) under
// the metacontroller ServiceAccount, each with its own selector and Lease. Each runs only the
// CompositeControllers its selector picks: their parents get children and their status says
// Ready; what neither picks is left alone, status included; relabelling moves a resource in or
// out of an instance while it runs. The sync hook is a small HTTP server in this file.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as assert from "uvu/assert";
import { metacontrollerNamespace } from "../../../../functions/metacontroller/manifest.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import {
  installMetacontroller,
  looseCrd,
  startMetacontroller,
  userClusterRole,
} from "../../../support/metacontroller.ts";
import { suite } from "../../../support/suite.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: --target-label-selector splits CompositeControllers between two instances");
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const apply = (yaml: string) => kubectlOrThrow(admin, ["apply", "-f", "-"], yaml);
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let hooks: Server;
let hookUrl = "";
let a: SampleProcess;
let b: SampleProcess;
const ns = () => namespace.name;
const group = "pick.example.test";
const plurals = ["apples", "berries", "cherries"];
const leases = ["pick-a", "pick-b"];

const crd = (plural: string, kind: string) => looseCrd(group, plural, kind);
const userRbac = userClusterRole("metacontroller-pick", group, plurals, [
  `{apiGroups: [""], resources: [configmaps], verbs: [list, watch, create, patch, delete]}`,
]);
/** A CompositeController named pick-<plural> over <plural>, labelled as given, whose hook makes one ConfigMap per parent. */
const composite = (plural: string, labels: Record<string, string>) =>
  `apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: pick-${plural}, labels: ${JSON.stringify(labels)}}
spec:
  parentResource: {apiVersion: ${group}/v1, resource: ${plural}}
  childResources: [{apiVersion: v1, resource: configmaps}]
  hooks:
    sync: {webhook: {url: "${hookUrl}/sync"}}
`;
const parent = (kind: string, name: string) =>
  `apiVersion: ${group}/v1\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${ns()}}\nspec: {}\n`;

const configMap = async (name: string) => {
  const result = await kubectl(admin, ["get", "configmap", name, "-n", ns(), "-o", "json"]);
  return result.code === 0 ? JSON.parse(result.stdout) : undefined;
};
const object = async (...args: string[]) => JSON.parse(await k("get", ...args, "-o", "json"));
const readyOf = async (name: string) =>
  ((await object("compositecontroller", name)).status?.conditions ?? []).find((c: { type: string }) =>
    c.type === "Ready"
  );
const maxWorkers = (instance: SampleProcess, controller: string) =>
  instance.metric("controller_runtime_max_concurrent_reconciles", { controller });
const syncs = (instance: SampleProcess, controller: string) =>
  instance.metric("controller_runtime_reconcile_total", { controller });
const logged = (instance: SampleProcess, message: string, resource: string) =>
  instance.logs.some((line) => line.includes(`"msg":"${message}"`) && line.includes(`"resource":"${resource}"`));

/** Metacontroller's sync protocol: one ConfigMap per parent, saying which controller made it. */
function syncHook(body: { controller: { metadata: { name: string } }; parent: { metadata: Record<string, string> } }) {
  const { name, namespace } = body.parent.metadata;
  return {
    status: { picked: 1 },
    children: [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-picked`, namespace },
      data: { by: body.controller.metadata.name },
    }],
  };
}

async function startInstance(identity: string, args: string[]): Promise<SampleProcess> {
  // startSample passes --port=0 --host=127.0.0.1 --log-level=debug first; these are upstream's spellings.
  const instance = await startMetacontroller(identity, [
    "--zap-log-level=4",
    "--discovery-interval=20s",
    "--health-probe-bind-address=127.0.0.1:0",
    "--leader-election",
    ...args,
  ]);
  await eventually(`${identity} to lead its own Lease`, async () => (await instance.readyz()).leader);
  return instance;
}

test.before(async () => {
  hooks = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk));
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(syncHook(JSON.parse(text))));
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  await installMetacontroller();
  await apply(crd("apples", "Apple"));
  await apply(crd("berries", "Berry"));
  await apply(crd("cherries", "Cherry"));
  await apply(userRbac);
  await k(
    "wait",
    "--for=condition=Established",
    ...plurals.map((plural) => `crd/${plural}.${group}`),
    "crd/compositecontrollers.metacontroller.k8s.io",
  );
  namespace = await freshNamespace(testKubeConfig(), "e2e-pick");
  a = await startInstance("pick-a-0", ["--target-label-selector=team=a", "--leader-election-id=pick-a", "--workers=3"]);
  b = await startInstance("pick-b-0", [
    "-target-label-selector",
    "team in (b, c),!legacy",
    "-leader-election-id",
    "pick-b",
    "-workers",
    "2",
  ]);
});

test.after(async () => {
  await kubectl(admin, ["delete", "compositecontrollers", ...plurals.map((p) => `pick-${p}`), "--ignore-not-found"]);
  for (const plural of plurals) {
    const left = await kubectl(admin, ["get", plural, "-n", ns(), "-o", "name"]);
    for (const name of left.stdout.split("\n").filter(Boolean)) {
      await kubectl(admin, ["patch", name, "-n", ns(), "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    }
  }
  await a?.stop();
  await b?.stop();
  await kubectl(admin, ["delete", "lease", ...leases, "-n", metacontrollerNamespace, "--ignore-not-found"]);
  await namespace?.remove();
  await kubectl(admin, ["delete", "clusterrole", "metacontroller-pick", "--ignore-not-found"]);
  await kubectl(admin, ["delete", "crd", ...plurals.map((plural) => `${plural}.${group}`), "--ignore-not-found"]);
  await new Promise((resolve) => hooks?.close(resolve));
});

test("each instance leads a Lease of its own, named by --leader-election-id", async () => {
  for (const [lease, instance] of [["pick-a", a], ["pick-b", b]] as const) {
    const held = await object("lease", lease, "-n", metacontrollerNamespace);
    assert.is(held.spec.holderIdentity, instance.identity, lease);
  }
});

test("each instance runs only the CompositeController its selector picks; neither touches the one nobody picks", async () => {
  // pick-cherries has team=b, but also legacy: B's !legacy leaves it out, and A wants team=a.
  await apply(parent("Cherry", "cherry-1"));
  await apply(composite("cherries", { team: "b", legacy: "true" }));
  await apply(composite("apples", { team: "a" }));
  await apply(composite("berries", { team: "b" }));
  await apply(parent("Apple", "apple-1"));
  await apply(parent("Berry", "berry-1"));

  const apples = await eventually("pick-apples to be Ready", async () => {
    const ready = await readyOf("pick-apples");
    return ready?.status === "True" ? ready : undefined;
  });
  assert.is(apples.message, "runs pick-apples");
  const berries = await eventually("pick-berries to be Ready", async () => {
    const ready = await readyOf("pick-berries");
    return ready?.status === "True" ? ready : undefined;
  });
  assert.is(berries.message, "runs pick-berries");
  assert.equal((await eventually("apple-1's child", () => configMap("apple-1-picked"))).data, { by: "pick-apples" });
  assert.equal((await eventually("berry-1's child", () => configMap("berry-1-picked"))).data, { by: "pick-berries" });
  await eventually(
    "apple-1's status from its hook",
    async () => (await object("apple", "apple-1", "-n", ns())).status?.picked === 1,
  );

  // Who runs what: --workers set each controller's workers, on its own instance only.
  assert.is(await maxWorkers(a, "pick-apples"), 3);
  assert.is(await maxWorkers(b, "pick-berries"), 2);
  assert.is(await maxWorkers(a, "pick-berries"), 0, "A does not run pick-berries");
  assert.is(await maxWorkers(b, "pick-apples"), 0, "B does not run pick-apples");
  assert.is(await syncs(a, "pick-berries"), 0);
  assert.is(await syncs(b, "pick-apples"), 0);
  assert.ok(await syncs(a, "pick-apples") >= 1);
  assert.ok(await syncs(b, "pick-berries") >= 1);

  // Both have seen pick-cherries and passed it over (their debug log says so): no controller, no status, no child.
  await eventually(
    "both instances to pass over pick-cherries",
    async () =>
      logged(a, "metacontroller resource not selected", "CompositeController/pick-cherries") &&
      logged(b, "metacontroller resource not selected", "CompositeController/pick-cherries"),
  );
  assert.ok(logged(a, "metacontroller resource not selected", "CompositeController/pick-berries"));
  assert.ok(logged(b, "metacontroller resource not selected", "CompositeController/pick-apples"));
  assert.is((await object("compositecontroller", "pick-cherries")).status, undefined, "no status written");
  assert.is(await configMap("cherry-1-picked"), undefined);
  assert.is((await object("cherry", "cherry-1", "-n", ns())).status, undefined);
  assert.is(await maxWorkers(a, "pick-cherries") + await maxWorkers(b, "pick-cherries"), 0);
});

test("relabelled into a selector, a resource starts on that instance; relabelled out, it stops", async () => {
  // Without legacy, pick-cherries is B's (team in (b,c)).
  await k("label", "compositecontroller", "pick-cherries", "legacy-");
  const cherries = await eventually("pick-cherries to be Ready", async () => {
    const ready = await readyOf("pick-cherries");
    return ready?.status === "True" ? ready : undefined;
  });
  assert.is(cherries.message, "runs pick-cherries");
  assert.equal((await eventually("cherry-1's child", () => configMap("cherry-1-picked"))).data, {
    by: "pick-cherries",
  });
  assert.is(await maxWorkers(b, "pick-cherries"), 2);
  assert.is(await maxWorkers(a, "pick-cherries"), 0);

  // team=z: nobody's. A stops pick-apples; a new Apple gets no child.
  await k("label", "compositecontroller", "pick-apples", "team=z", "--overwrite");
  await eventually(
    "A to stop pick-apples",
    async () =>
      logged(
        a,
        "metacontroller resource no longer selected; its controllers stop",
        "CompositeController/pick-apples",
      ) &&
      a.logs.some((line) => line.includes('"msg":"controller removed"') && line.includes('"controller":"pick-apples"')),
  );
  await apply(parent("Apple", "apple-2"));
  const syncsBefore = await syncs(a, "pick-apples");
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.is(await configMap("apple-2-picked"), undefined, "no instance runs pick-apples now");
  assert.is(await syncs(a, "pick-apples"), syncsBefore);

  // Back to team=a: A runs it again, and apple-2 gets its child.
  await k("label", "compositecontroller", "pick-apples", "team=a", "--overwrite");
  assert.equal((await eventually("apple-2's child", () => configMap("apple-2-picked"))).data, { by: "pick-apples" });
});

test.run();
