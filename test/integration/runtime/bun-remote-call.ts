// Run by Bun (test/integration/runtime/bun.test.ts): calls one remote hook with the URL, TLS
// settings and token in the REMOTE_CALL environment variable (JSON), and prints one JSON line:
// {"answer": ...} or {"error": "..."}.
import { callRemote } from "../../../runtime/webhook/client.ts";
import { remote } from "../../../runtime/webhook/remote.ts";

const { url, ...options } = JSON.parse(process.env.REMOTE_CALL ?? "{}");
try {
  console.log(JSON.stringify({ answer: await callRemote(remote(url, options), "sync", {}) }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
