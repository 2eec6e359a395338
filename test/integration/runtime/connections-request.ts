// Run by connections.test.ts under Deno (or Node): with the kubeconfig file given as the first
// argument, sends as many requests at once as the third argument says through the runtime's REST
// client limited to the second argument's connections; prints one JSON line, {"lists": N} (the
// answers that were ConfigMap lists) or {"error": "..."}.
import process from "node:process";
import { KubeClient } from "../../../runtime/kube/client.ts";

const [kubeconfig, maxConnections, requests] = process.argv.slice(2);
try {
  const client = KubeClient.load(kubeconfig, undefined, { maxConnections: Number(maxConnections) });
  const answers = await Promise.all(
    Array.from(
      { length: Number(requests) },
      () => client.request("GET", "/api/v1/namespaces/kube-system/configmaps") as Promise<{ kind?: string }>,
    ),
  );
  console.log(JSON.stringify({ lists: answers.filter((answer) => answer.kind === "ConfigMapList").length }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
process.exit(0);
