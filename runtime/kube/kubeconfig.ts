// Loads @kubernetes/client-node's KubeConfig, the source of kubeconfig files, in-cluster
// service accounts and credentials (client certificates, tokens that rotate, exec plugins,
// OIDC), without what this runtime never uses. Its config module imports the whole generated
// API (only makeApiClient needs it) and an OIDC library (only OIDC users need it), about
// 45 MiB of a process's resident memory. On Node a resolve hook gives config.js a stand-in
// for the generated API and loads the OIDC module only when an OIDC user first
// authenticates; elsewhere (Deno) the package loads whole.
import type { KubeConfig } from "@kubernetes/client-node";

const configModule = "@kubernetes/client-node/dist/config.js";
let hooked = false;

async function slimClientNode(): Promise<void> {
  if (hooked || "Deno" in globalThis) return;
  hooked = true;
  const extension = import.meta.url.endsWith(".js") ? "js" : "ts"; // compiled, or run as TypeScript
  const standIns: Record<string, string> = {
    "./gen/index.js": new URL(`./client-node/generated-api.${extension}`, import.meta.url).href,
    "./oidc_auth.js": new URL(`./client-node/oidc.${extension}`, import.meta.url).href,
  };
  // Imported here, not at the top: Deno has no module hooks.
  const { registerHooks } = await import("node:module");
  registerHooks({
    resolve(specifier, context, next) {
      const standIn = context.parentURL?.endsWith("/@kubernetes/client-node/dist/config.js")
        ? standIns[specifier]
        : undefined;
      return standIn ? { url: standIn, shortCircuit: true } : next(specifier, context);
    },
  });
}

/** A kubeconfig file when given one; otherwise the in-cluster service account, $KUBECONFIG or ~/.kube/config. */
export async function loadKubeConfig(path?: string): Promise<KubeConfig> {
  await slimClientNode();
  const { KubeConfig } = (await import(configModule)) as typeof import("@kubernetes/client-node");
  const config = new KubeConfig();
  if (path) config.loadFromFile(path);
  else config.loadFromDefault();
  return config;
}
