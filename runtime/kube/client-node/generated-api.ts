// Stands in for @kubernetes/client-node's generated API inside its config module (see
// ../kubeconfig.ts), so a process that only reads kubeconfigs never loads it. Only
// KubeConfig.makeApiClient uses these two names; the first time a program calls it (its own
// client-node API classes, say), the real generated API is loaded synchronously and used.
import { createRequire } from "node:module";

type GeneratedApi = typeof import("@kubernetes/client-node/dist/gen/index.js");
let real: GeneratedApi | undefined;
const generatedApi = (): GeneratedApi => (real ??= createRequire(import.meta.url)(
  "@kubernetes/client-node/dist/gen/index.js",
) as GeneratedApi);

export function createConfiguration(
  ...args: Parameters<GeneratedApi["createConfiguration"]>
): ReturnType<GeneratedApi["createConfiguration"]> {
  return generatedApi().createConfiguration(...args);
}

export class ServerConfiguration {
  constructor(...args: ConstructorParameters<GeneratedApi["ServerConfiguration"]>) {
    // A constructor that returns an object makes `new` give that object: the real one.
    return new (generatedApi().ServerConfiguration)(...args) as unknown as ServerConfiguration;
  }
}
