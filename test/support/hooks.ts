// Runs the Atomix functions behind HTTP in a process of their own (runtime/hook-server), on
// Node, on Bun, under `deno serve` or on workerd, for tests that point the controller at them
// with --remote-functions.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "./kube.ts";
import { freePort } from "./process.ts";

const root = join(import.meta.dirname, "..", "..");

export interface HookServer {
  url: string;
  process: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
}

/** Where a hook server runs. */
export type HookRuntime = "node" | "bun" | "deno" | "workerd";

export async function startHookServer(
  runtime: HookRuntime,
  functions = "functions/atomix-controller/controllers.ts",
): Promise<HookServer> {
  const port = await freePort();
  const [command, args] = runtime === "deno"
    ? [join(root, "node_modules", ".bin", "deno"), [
      "serve",
      "--allow-all",
      "--quiet",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "runtime/hook-server/deno.ts",
    ]]
    : [runtime === "bun" ? join(root, "node_modules", "bun", "bin", "bun.exe") : process.execPath, [
      runtime === "workerd" ? "runtime/hook-server/workerd.ts" : "runtime/hook-server/main.ts",
      "--functions",
      functions,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ]];
  const [program, programArgs] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", command, ...args]]
    : [command, args];
  const child = spawn(program, programArgs, {
    cwd: root,
    env: { ...process.env, HOOK_FUNCTIONS: functions },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString().split("\n").filter(Boolean));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  await eventually(`the ${runtime} hook server to answer`, async () => {
    if (child.exitCode !== null) {
      throw new Error(`the hook server exited with ${child.exitCode}:\n${logs.slice(-20).join("\n")}`);
    }
    return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok;
  }, { timeoutMs: 60_000 });
  return {
    url,
    process: child,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
