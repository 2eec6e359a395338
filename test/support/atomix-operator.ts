// The Atomix operator on the test cluster: installs deploy/atomix-operator.yaml with kubectl,
// runs functions/atomix-operator/main.ts as processes whose only credential is the operator ServiceAccount's token
// (so its ClusterRole is exercised), and makes StorageClasses with static hostPath volumes so
// claims bind and kwok runs the pods to Ready.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { operatorName, operatorNamespace } from "../../functions/atomix-operator/manifest.ts";
import { eventually } from "./kube.ts";
import { kubectl, kubectlOrThrow } from "./kubectl.ts";
import { serviceAccountKubeconfig } from "./service-account.ts";
import { type SampleProcess, startSample } from "./sample.ts";

const root = join(import.meta.dirname, "..", "..");
const admin = () => process.env.KUBECONFIG_FOR_TESTS!;

/** `kubectl create -f deploy/atomix-operator.yaml` (already installed is fine), and a kubeconfig holding the operator's token. */
export async function installOperator(): Promise<string> {
  const created = await kubectl(admin(), ["create", "-f", join(root, "deploy", "atomix-operator.yaml")]);
  if (created.code !== 0 && !created.stderr.includes("AlreadyExists")) throw new Error(created.stderr);
  await kubectlOrThrow(admin(), ["wait", "--for=condition=Established", "crd/atomixclusters.agent.atomix.io"]);
  const path = await serviceAccountKubeconfig(operatorName, operatorNamespace);
  return path;
}

/** Starts an operator replica; `waitFor` is "leader" (it must take the Lease) or "ready" (caches synced; a follower). */
export async function startOperator(
  identity: string,
  kubeconfig: string,
  options: { waitFor?: "leader" | "ready"; args?: string[] } = {},
): Promise<SampleProcess> {
  const operator = await startSample({
    script: join(root, "functions", "atomix-operator", "main.ts"),
    identity,
    kubeconfig,
    args: [`--leader-election-namespace=${operatorNamespace}`, ...(options.args ?? [])],
  });
  if ((options.waitFor ?? "leader") === "leader") {
    await eventually(`${identity} to lead`, async () => (await operator.readyz()).leader);
  } else await eventually(`${identity} to be ready`, async () => (await operator.readyz()).ready);
  return operator;
}

export interface Volumes {
  /** Deletes the volumes (and the class, if this created it). */
  remove(): Promise<void>;
}

/** `count` static hostPath PersistentVolumes of `className`, and the class itself when `withClass` (no provisioner, Immediate binding). */
export async function createVolumes(
  className: string,
  count: number,
  options: { withClass?: boolean; size?: string } = {},
): Promise<Volumes> {
  const tag = randomBytes(3).toString("hex");
  const docs: string[] = [];
  if (options.withClass ?? true) {
    docs.push(
      `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: ${className}}\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: Immediate\n`,
    );
  }
  for (let i = 0; i < count; i++) {
    docs.push(
      `apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: ${className}-${tag}-${i}, labels: {test.atomix.io/volumes: '${tag}'}}\n` +
        `spec:\n  capacity: {storage: ${
          options.size ?? "2Gi"
        }}\n  accessModes: [ReadWriteOnce]\n  storageClassName: ${className}\n` +
        `  persistentVolumeReclaimPolicy: Retain\n  hostPath: {path: /tmp/${className}-${tag}-${i}}\n`,
    );
  }
  await kubectlOrThrow(admin(), ["create", "-f", "-"], docs.join("---\n"));
  return {
    async remove() {
      await kubectl(admin(), ["delete", "pv", "-l", `test.atomix.io/volumes=${tag}`, "--wait=false"]);
      if (options.withClass ?? true) {
        await kubectl(admin(), ["delete", "storageclass", className, "--ignore-not-found"]);
      }
    },
  };
}

/** Waits until nothing named after the AtomixCluster is left in the namespace: StatefulSets, Services, ConfigMaps, pods, claims. */
export async function clusterGone(namespace: string, cluster: string): Promise<void> {
  await eventually(
    "everything of the cluster gone",
    async () =>
      (JSON.parse(
        await kubectlOrThrow(admin(), [
          "get",
          "statefulsets,services,configmaps,pods,persistentvolumeclaims",
          "-n",
          namespace,
          "-o",
          "json",
        ]),
      ).items as Array<{ metadata: { name: string } }>).every((o) => !o.metadata.name.startsWith(cluster)),
    { timeoutMs: 60_000 },
  );
}
