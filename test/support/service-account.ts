// A kubeconfig whose only credential is a ServiceAccount's token, so that a process started
// with it gets exactly the RBAC its manifest grants. The file is removed when the test process
// exits, pass or fail, and the token expires within the hour.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testKubeConfig } from "./kube.ts";
import { kubectlOrThrow } from "./kubectl.ts";

/** Folders holding tokens, removed together when the test process exits (one listener for all). */
const folders = new Set<string>();
let removing = false;
function removeAtExit(dir: string): void {
  folders.add(dir);
  if (removing) return;
  removing = true;
  process.once("exit", () => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
}

export async function serviceAccountKubeconfig(name: string, namespace: string): Promise<string> {
  const token = (await kubectlOrThrow(process.env.KUBECONFIG_FOR_TESTS!, [
    "create",
    "token",
    name,
    "-n",
    namespace,
    "--duration=1h",
  ])).trim();
  const cluster = testKubeConfig().getCurrentCluster()!;
  const dir = mkdtempSync(join(tmpdir(), `${name}-sa-`));
  removeAtExit(dir);
  const path = join(dir, "kubeconfig");
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
