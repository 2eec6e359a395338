// Stands in for @kubernetes/client-node's generated API inside its config module (see
// ../kubeconfig.ts): only KubeConfig.makeApiClient uses it, and this runtime never calls it.
const unavailable = () =>
  new Error("KubeConfig.makeApiClient is not available in this runtime; use runtime/kube/client.ts");

export function createConfiguration(): never {
  throw unavailable();
}

export class ServerConfiguration {
  constructor() {
    throw unavailable();
  }
}
