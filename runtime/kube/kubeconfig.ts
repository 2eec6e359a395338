// Loads @kubernetes/client-node's KubeConfig, the source of kubeconfig files, in-cluster
// service accounts and credentials (client certificates, tokens that rotate, exec plugins,
// OIDC), without what this runtime never uses. Its config module imports the whole generated
// API (only makeApiClient needs it), an OIDC library (only OIDC users need it), undici (only
// its undici dispatchers need it) and three proxy-agent packages (only clusters with a
// proxy-url need them), about 75 MiB of a process's resident memory. On Node
// a resolve hook gives config.js stand-ins that load each of them the first time it is used;
// elsewhere (Deno, and Bun, which has no module.registerHooks) the package loads whole, and so
// it does for a program bundled into one file without the stand-ins beside it (client-node/*.js
// next to the bundle, as dev/bundle.ts writes them for this repository's image).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { defaultKubeconfigFound, serviceAccountTokenFile } from "./kubeconfig-search.ts";

let hooked = false;

async function slimClientNode(): Promise<void> {
  if (hooked || "Deno" in globalThis) return;
  hooked = true;
  const extension = import.meta.url.endsWith(".js") ? "js" : "ts"; // compiled, or run as TypeScript
  const standIns: Record<string, string> = {
    "./gen/index.js": new URL(`./client-node/generated-api.${extension}`, import.meta.url).href,
    "./oidc_auth.js": new URL(`./client-node/oidc.${extension}`, import.meta.url).href,
    "undici": new URL(`./client-node/undici.${extension}`, import.meta.url).href,
    "socks-proxy-agent": new URL(`./client-node/proxies.${extension}`, import.meta.url).href,
    "socks": new URL(`./client-node/proxies.${extension}`, import.meta.url).href,
    "hpagent": new URL(`./client-node/proxies.${extension}`, import.meta.url).href,
  };
  if (!Object.values(standIns).every((url) => existsSync(new URL(url)))) return;
  // Imported here, not at the top: Deno has no module hooks, and Bun's node:module lacks them.
  const { registerHooks } = await import("node:module");
  if (typeof registerHooks !== "function") return;
  registerHooks({
    resolve(specifier, context, next) {
      const standIn = context.parentURL?.endsWith("/@kubernetes/client-node/dist/config.js")
        ? standIns[specifier]
        : undefined;
      return standIn ? { url: standIn, shortCircuit: true } : next(specifier, context);
    },
  });
}

/** No kubeconfig was given and none was found: says where the runtime looked and what to do. */
export class NoKubeconfigError extends Error {
  constructor(home: string) {
    super(
      `no cluster to connect to: no --kubeconfig flag, no $KUBECONFIG, not in a pod (no KUBERNETES_SERVICE_HOST ` +
        `and ${serviceAccountTokenFile}), and no ${join(home, ".kube", "config")}. ` +
        `Pass --kubeconfig=<file>, set KUBECONFIG, or run in a pod with a service account`,
    );
    this.name = "NoKubeconfigError";
  }
}

/**
 * Loads client-node's KubeConfig (clusters, users, contexts; credentials and TLS): from a
 * kubeconfig file when given one; otherwise, as client-node's loadFromDefault does, from
 * $KUBECONFIG, else ~/.kube/config, else the pod's service account. With none of them it throws
 * NoKubeconfigError rather than fall back, as client-node does, to an unauthenticated
 * http://localhost:8080.
 *
 * @param path a kubeconfig file; when empty or absent, the default search above.
 */
export async function loadKubeConfig(path?: string): Promise<KubeConfig> {
  if (!path && !defaultKubeconfigFound(process.env, homedir())) throw new NoKubeconfigError(homedir());
  await slimClientNode();
  const { KubeConfig } = await import("@kubernetes/client-node/dist/config.js");
  const config = new KubeConfig();
  if (path) config.loadFromFile(path);
  else config.loadFromDefault();
  return config;
}
