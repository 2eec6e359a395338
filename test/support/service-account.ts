// A kubeconfig whose only credential is a ServiceAccount's token, so that a process started
// with it gets exactly the RBAC its manifest grants.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testKubeConfig } from "./kube.ts";
import { kubectlOrThrow } from "./kubectl.ts";

export async function serviceAccountKubeconfig(name: string, namespace: string): Promise<string> {
  const token = (await kubectlOrThrow(process.env.KUBECONFIG_FOR_TESTS!, [
    "create",
    "token",
    name,
    "-n",
    namespace,
    "--duration=2h",
  ])).trim();
  const cluster = testKubeConfig().getCurrentCluster()!;
  const path = join(mkdtempSync(join(tmpdir(), `${name}-sa-`)), "kubeconfig");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } }],
      users: [{ name: "sa", user: { token } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "sa" } }],
      "current-context": "c",
    }),
  );
  return path;
}
