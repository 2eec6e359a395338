// The controller against a real cluster: node --test e2e.test.ts (KUBECONFIG=<file> for one of yours).
// It installs the CRD, runs main.ts as a process, and checks what a user would with kubectl:
// the children appear, the Website becomes Ready, and deleting it takes its children along.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { builtinKinds, type KubeObject } from "@kubefn/runtime";
import { installKinds, type ProgramProcess, startControlPlane, startProgram } from "@kubefn/runtime/control-plane";
import { isNotFound, KubeClient, loadKubeConfig } from "@kubefn/runtime/run";
import { eventually } from "@kubefn/runtime/testing";
import { Website } from "./website.ts";

// The cluster KUBECONFIG names, or else a local control plane built from Go modules (Go >= 1.26 on
// PATH; the first build takes minutes and is cached): etcd, kube-apiserver, controller-manager,
// scheduler and kwok as processes on loopback.
const controlPlane = process.env.KUBECONFIG ? undefined : await startControlPlane();
const kubeconfig = process.env.KUBECONFIG ?? controlPlane!.kubeconfig;
const client = new KubeClient(await loadKubeConfig(kubeconfig));
const namespace = `website-e2e-${process.pid}`;
let controller: ProgramProcess | undefined;

before(async () => {
  await installKinds(kubeconfig, [Website]);
  await client.create(builtinKinds.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  controller = startProgram("main.ts", { kubeconfig, cwd: import.meta.dirname, args: [`--namespaces=${namespace}`] });
});

after(async () => {
  await controller?.stop();
  await client.delete(builtinKinds.Namespace, undefined, namespace).catch(() => undefined);
  await controlPlane?.stop();
});

test("a Website gets its Deployment, Service and Ingress, becomes Ready, and takes them along when deleted", async () => {
  await client.create(Website, {
    apiVersion: Website.apiVersion,
    kind: Website.kind,
    metadata: { name: "blog", namespace },
    spec: { image: "nginx:1.27", host: "blog.example.com" },
  } as KubeObject);
  const deployment = await eventually("the Deployment", () => client.get(builtinKinds.Deployment, namespace, "blog"));
  assert.equal((deployment.spec as { replicas: number }).replicas, 1, "the CRD's default for replicas");
  await eventually("the Service", () => client.get(builtinKinds.Service, namespace, "blog"));
  await eventually("the Ingress", () => client.get(builtinKinds.Ingress, namespace, "blog"));
  const ready = await eventually("the Website to be Ready", async () => {
    const website = await client.get<Website>(Website, namespace, "blog");
    return website.status?.conditions?.find((condition) => condition.type === "Ready" && condition.status === "True");
  }, { timeoutMs: 120_000 });
  assert.match(ready.message ?? "", /1 of 1 replicas available/);

  await client.delete(Website, namespace, "blog");
  await eventually("the Deployment to be collected", async () => {
    try {
      await client.get(builtinKinds.Deployment, namespace, "blog");
      return false;
    } catch (error) {
      return isNotFound(error);
    }
  });
});
