// The real kubectl built with the local control plane.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildControlPlane as ensureBinaries } from "../../runtime/control-plane.ts";

const run = promisify(execFile);

export async function kubectlPath(): Promise<string> {
  if (process.env.TEST_CLUSTER_BIN) return join(process.env.TEST_CLUSTER_BIN, "kubectl");
  return (await ensureBinaries(() => undefined)).kubectl;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against a kubeconfig; never throws for a non-zero exit (the result says). */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<KubectlResult> {
  const binary = await kubectlPath();
  try {
    const child = run(binary, ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) {
      child.child.stdin!.end(input);
    }
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === "number" ? failure.code : 1,
      stdout: failure.stdout ?? "",
      stderr: failure.stderr ?? String(error),
    };
  }
}

/** Runs kubectl and returns its stdout; a non-zero exit throws with kubectl's stderr. */
export async function kubectlOrThrow(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const result = await kubectl(kubeconfig, args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}
