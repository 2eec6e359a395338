// A kind declared with customKind() against the real control plane: its generated CRD is what
// the API server enforces, and a parent that reaches the runtime without fitting the schema
// (stored under a lax CRD) is not synced: Ready=False, reason InvalidSpec, naming the field,
// until it is fixed.
import * as assert from "uvu/assert";
import { installCrds } from "../../../runtime/control-plane.ts";
import { crdOf } from "../../../runtime/manifests.ts";
import { builtinKinds, type KubeObject } from "../../../runtime/mod.ts";
import { isNotFound, KubeClient, KubeError } from "../../../runtime/run.ts";
import { Gizmo, laxGizmoCrd } from "../../sample/gizmo.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { type SampleProcess, startSample } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";
import { join } from "node:path";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: schema");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let controller: SampleProcess;

type Condition = { type: string; status: string; reason?: string; message?: string };
type Status = { size?: number; conditions?: Condition[] };
const gizmo = (name: string) => client.get<KubeObject & { status?: Status }>(Gizmo, namespace.name, name);
const ready = async (name: string) => (await gizmo(name)).status?.conditions?.find((c) => c.type === "Ready");
const crdName = "gizmos.sample.runtime.test";

/** Applies a Gizmo CRD and waits until it is served. */
const establish = (crd: KubeObject) => installCrds(process.env.KUBECONFIG_FOR_TESTS!, [crd]);

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-schema");
  await establish(laxGizmoCrd());
  controller = await startSample({
    script: join(import.meta.dirname, "..", "..", "sample", "gizmo.ts"),
    namespace: namespace.name,
    identity: "gizmo-schema",
  });
});

test.after(async () => {
  await controller?.stop();
  await namespace.remove();
  await client.delete(builtinKinds.CustomResourceDefinition, undefined, crdName).catch(() => undefined);
});

const create = (name: string, spec: Record<string, unknown>) =>
  client.create(Gizmo, {
    apiVersion: Gizmo.apiVersion,
    kind: "Gizmo",
    metadata: { name, namespace: namespace.name },
    spec,
  });

test("a parent that fits the schema is synced", async () => {
  await create("fits", { size: 2 });
  const condition = await eventually("fits to be Ready", async () => {
    const found = await ready("fits");
    return found?.status === "True" ? found : undefined;
  });
  assert.is(condition.reason, "Synced");
  const configMap = await client.get(builtinKinds.ConfigMap, namespace.name, "fits");
  assert.equal(configMap.data, { size: "2" });
});

test("a parent that does not fit is not synced: Ready=False, InvalidSpec, naming each field; fixed, it syncs", async () => {
  await create("misfit", { size: 0, color: 7 });
  const condition = await eventually("misfit to be refused", async () => {
    const found = await ready("misfit");
    return found?.status === "False" ? found : undefined;
  });
  assert.is(condition.reason, "InvalidSpec");
  assert.match(condition.message!, /spec\.size: must be >= 1/);
  assert.match(condition.message!, /spec\.color: must be string/);
  const missing = await client.get(builtinKinds.ConfigMap, namespace.name, "misfit").catch((error) => error);
  assert.ok(isNotFound(missing), "no child was written for a parent that does not fit");

  await client.patch(Gizmo, namespace.name, "misfit", { spec: { size: 3, color: "red" } });
  await eventually("misfit to recover", async () => (await ready("misfit"))?.status === "True");
  assert.equal((await client.get(builtinKinds.ConfigMap, namespace.name, "misfit")).data, { size: "3" });
});

test("with the CRD generated from the kind, the API server itself refuses a parent that does not fit", async () => {
  await establish(crdOf(Gizmo));
  const refused = await create("refused", { size: 0 }).catch((error) => error);
  assert.ok(refused instanceof KubeError && refused.status === 422, `refused with 422, got ${refused}`);
  assert.match((refused as Error).message, /spec\.size/);
});

test.run();
