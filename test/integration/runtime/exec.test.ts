// pods/exec against the real control plane: kube-apiserver dials kwok's kubelet server over
// TLS and kwok runs the command on this machine, chosen by an Exec named like the pod. The
// runtime's exec client (runtime/exec) reads exit codes, stdout and stderr, keeps output
// within its budget, gives up at its deadline, and names what went wrong; kubectl exec works
// the same way. Runs on Node, and the same client on Deno.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { type ExecOutcome, podExec } from "../../../runtime/exec/exec.ts";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../support/kubectl.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("integration: exec into kwok pods");
const client = KubeClient.load(admin);
const exec = podExec(client);
let namespace: { name: string; remove(): Promise<void> };
let workDir: string;
const pod = "exec-target";

const run = (
  command: string[],
  options: { container?: string; timeoutMs?: number; maxOutputBytes?: number; pod?: string } = {},
): Promise<ExecOutcome> =>
  exec({
    namespace: namespace.name,
    pod: options.pod ?? pod,
    container: options.container ?? "main",
    command,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxOutputBytes: options.maxOutputBytes,
  });

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "exec");
  workDir = mkdtempSync(join(tmpdir(), "exec-test-"));
  const manifest = [
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${pod}}\nspec:\n  containers:\n  - {name: main, image: busybox}\n  - {name: side, image: busybox}\n`,
    `apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Exec\nmetadata: {name: ${pod}}\nspec:\n  execs:\n  - containers: [main]\n    local:\n      workDir: ${workDir}\n      envs: [{name: GREETING, value: hello}]\n`,
  ].join("---\n");
  await kubectlOrThrow(admin, ["apply", "-n", namespace.name, "-f", "-"], manifest);
  await kubectlOrThrow(admin, ["wait", "-n", namespace.name, "--for=condition=Ready", `pod/${pod}`, "--timeout=60s"]);
});

test.after(async () => {
  await namespace?.remove();
  rmSync(workDir, { recursive: true, force: true });
});

test("exit code 0 with stdout and stderr apart, in the Exec's workDir with its environment", async () => {
  // kwok watches Exec objects; the first exec may race its informer.
  const outcome = await eventually("the Exec to be in force", async () => {
    const result = await run(["sh", "-c", 'echo "$GREETING from $(pwd)"; echo oops >&2']);
    return result.exitCode === 0 ? result : undefined;
  });
  assert.equal(outcome, {
    stdout: `hello from ${workDir}\n`,
    stderr: "oops\n",
    truncated: false,
    timedOut: false,
    exitCode: 0,
  });
});

test("non-zero exit codes come back as themselves (7 and 8 apart), with the output written before", async () => {
  const seven = await run(["sh", "-c", "echo out; echo err >&2; exit 7"]);
  assert.equal([seven.exitCode, seven.stdout, seven.stderr, seven.error], [7, "out\n", "err\n", undefined]);
  const eight = await run(["sh", "-c", "exit 8"]);
  assert.is(eight.exitCode, 8);
});

test("a deadline: a command still running is abandoned and reported as timed out", async () => {
  const outcome = await run(["sh", "-c", "echo started; sleep 3"], { timeoutMs: 800 });
  assert.is(outcome.timedOut, true, "returned at the deadline, before the command ended (it would have exited 0)");
  assert.is(outcome.exitCode, undefined);
  assert.match(outcome.error ?? "", "timed out after 0.8 s");
});

test("output beyond the budget is cut to its last bytes and marked truncated", async () => {
  const outcome = await run(["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo -n END"], {
    maxOutputBytes: 4096,
  });
  assert.is(outcome.exitCode, 0);
  assert.is(outcome.truncated, true);
  assert.is(outcome.stdout.length, 4096);
  assert.ok(outcome.stdout.endsWith("aaaEND"));
});

test("a program that does not exist, a container that does not, a pod that does not: errors that say so", async () => {
  const missing = await run(["/no/such/script.sh"]);
  assert.is(missing.exitCode, undefined);
  assert.match(missing.error ?? "", "no such file or directory");
  const container = await run(["true"], { container: "nope" });
  assert.match(container.error ?? "", "container nope is not valid for pod exec-target");
  const gone = await run(["true"], { pod: "no-such-pod" });
  assert.match(gone.error ?? "", 'pods "no-such-pod" not found');
  const unmapped = await run(["true"], { container: "side" });
  assert.match(unmapped.error ?? "", 'exec target not found for container "side"');
});

test("kubectl exec reaches the same process, and its failure carries kwok's wrapped exit status", async () => {
  const ok = await kubectlOrThrow(admin, [
    "exec",
    "-n",
    namespace.name,
    pod,
    "-c",
    "main",
    "--",
    "sh",
    "-c",
    "echo $GREETING",
  ]);
  assert.is(ok, "hello\n");
  const failed = await kubectl(admin, ["exec", "-n", namespace.name, pod, "-c", "main", "--", "sh", "-c", "exit 7"]);
  assert.is.not(failed.code, 0);
  assert.match(failed.stderr, "exit status 7");
});

test("the same exec client on Deno", async () => {
  const script = `
    import { podExec } from "${join(root, "runtime", "exec", "exec.ts")}";
    import { KubeClient } from "${join(root, "runtime", "kube", "client.ts")}";
    const outcome = await podExec(KubeClient.load(${JSON.stringify(admin)}))({ namespace: ${
    JSON.stringify(namespace.name)
  }, pod: "${pod}", container: "main", command: ["sh", "-c", "echo deno; exit 3"], timeoutMs: 10000 });
    console.log(JSON.stringify(outcome));
    Deno.exit(0);
  `;
  const { stdout } = await promisify(execFile)(
    join(root, "node_modules", ".bin", "deno"),
    ["eval", "--quiet", script],
    { cwd: root, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" } },
  );
  const outcome = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.equal([outcome.exitCode, outcome.stdout], [3, "deno\n"]);
});

test.run();
