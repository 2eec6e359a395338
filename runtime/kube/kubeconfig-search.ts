// Where a program finds its cluster when no --kubeconfig names one, in client-go's order:
// $KUBECONFIG, the in-cluster service account, ~/.kube/config. A leaf module, so that parsing
// flags (program/config.ts) and loading the kubeconfig (kubeconfig.ts) ask the same question.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** True when $KUBECONFIG is set, this is a pod with a service account, or ~/.kube/config exists. */
export function defaultKubeconfigFound(env: Record<string, string | undefined>, home: string): boolean {
  return (
    Boolean(env.KUBECONFIG) ||
    (Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(serviceAccountTokenFile)) ||
    existsSync(join(home, ".kube", "config"))
  );
}
