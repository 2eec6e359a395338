// The replication operator on the test cluster: installs deploy/rss-operator.yaml with kubectl
// and runs functions/rss-operator/main.ts as a process whose only credential is the operator
// ServiceAccount's token, so its derived ClusterRole (pods/exec included) is what is tested.
import { join } from "node:path";
import { rssOperatorName, rssOperatorNamespace } from "../../functions/rss-operator/manifest.ts";
import { eventually } from "./kube.ts";
import { kubectl, kubectlOrThrow } from "./kubectl.ts";
import { type SampleProcess, startSample } from "./sample.ts";
import { serviceAccountKubeconfig } from "./service-account.ts";

const root = join(import.meta.dirname, "..", "..");
const admin = () => process.env.KUBECONFIG_FOR_TESTS!;

/** `kubectl create -f deploy/rss-operator.yaml` (already installed is fine); returns a kubeconfig holding the operator's token. */
export async function installRssOperator(): Promise<string> {
  const created = await kubectl(admin(), ["create", "-f", join(root, "deploy", "rss-operator.yaml")]);
  if (created.code !== 0 && !created.stderr.includes("AlreadyExists")) throw new Error(created.stderr);
  await kubectlOrThrow(admin(), ["wait", "--for=condition=Established", "crd/replicatedstatefulsets.clusterlabs.org"]);
  return serviceAccountKubeconfig(rssOperatorName, rssOperatorNamespace);
}

/** Starts an operator replica and waits until it leads. */
export async function startRssOperator(
  identity: string,
  kubeconfig: string,
  args: string[] = [],
): Promise<SampleProcess> {
  const operator = await startSample({
    script: join(root, "functions", "rss-operator", "main.ts"),
    identity,
    kubeconfig,
    args: [`--leader-election-namespace=${rssOperatorNamespace}`, ...args],
  });
  await eventually(`${identity} to lead`, async () => (await operator.readyz()).leader);
  return operator;
}
