// Installs deploy/atomix-controller.yaml with kubectl and runs the Atomix controller (main.ts)
// as a process whose only credential is its ServiceAccount's token, so RBAC is exercised.
import { join } from "node:path";
import { manifest } from "../../functions/atomix-controller/manifest.ts";
import { eventually } from "./kube.ts";
import { kubectl, kubectlOrThrow } from "./kubectl.ts";
import { type HookRuntime, startHookServer } from "./hooks.ts";
import { serviceAccountKubeconfig } from "./service-account.ts";
import { type SampleProcess, startSample } from "./sample.ts";

const root = join(import.meta.dirname, "..", "..");
const crdNames = manifest()
  .filter((doc) => doc.kind === "CustomResourceDefinition")
  .map((doc) => doc.metadata.name);

/**
 * Starts a replica; `waitFor` is "leader" (it must take the Lease) or "ready" (caches synced; a follower).
 * `options.args` are more flags (e.g. --api-auth=kubernetes); `options.runtime` runs it on Deno;
 * `options.nodeArgs` are Node's own flags; `options.script` runs another build of the controller
 * (the image's bundle, say) instead of main.ts.
 */
export async function startAtomixController(
  identity: string,
  waitFor: "leader" | "ready" = "leader",
  options: { args?: string[]; runtime?: "node" | "deno"; nodeArgs?: string[]; script?: string } = {},
): Promise<{ controller: SampleProcess; serviceAccountKubeconfig: string }> {
  const admin = process.env.KUBECONFIG_FOR_TESTS!;
  const created = await kubectl(admin, ["create", "-f", join(root, "deploy", "atomix-controller.yaml")]);
  if (created.code !== 0 && !created.stderr.includes("AlreadyExists")) throw new Error(created.stderr);
  await kubectlOrThrow(admin, ["wait", "--for=condition=Established", ...crdNames.map((name) => `crd/${name}`)]);
  const kubeconfig = await serviceAccountKubeconfig("atomix-controller", "kube-system");
  // ATOMIX_E2E_FUNCTIONS=node|deno|workerd runs every Atomix function behind HTTP in a process of its own.
  const functionsRuntime = process.env.ATOMIX_E2E_FUNCTIONS as HookRuntime | undefined;
  const hooks = functionsRuntime ? await startHookServer(functionsRuntime) : undefined;
  const controller = await startSample({
    script: options.script ?? join(root, "main.ts"),
    identity,
    kubeconfig,
    args: [
      "--leader-election-namespace=kube-system",
      ...(hooks ? [`--remote-functions=${hooks.url}`] : []),
      ...(options.args ?? []),
    ],
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  });
  if (hooks) {
    const stop = controller.stop.bind(controller);
    controller.stop = async (signal) => {
      const code = await stop(signal);
      await hooks.stop();
      return code;
    };
  }
  if (waitFor === "leader") await eventually(`${identity} to lead`, async () => (await controller.readyz()).leader);
  else await eventually(`${identity} to be ready`, async () => (await controller.readyz()).ready);
  return { controller, serviceAccountKubeconfig: kubeconfig };
}
