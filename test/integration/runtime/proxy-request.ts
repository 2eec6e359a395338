// Run by proxy.test.ts in a process of its own (so that nothing else has loaded client-node):
// one request with the kubeconfig file given as the first argument, through the runtime's REST
// client; prints one JSON line, {"status": ...} or {"error": "..."}.
import { KubeClient } from "../../../runtime/kube/client.ts";

try {
  const answer = await KubeClient.load(process.argv[2]).request("GET", "/api/v1/namespaces") as { kind: string };
  console.log(JSON.stringify({ kind: answer.kind }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
