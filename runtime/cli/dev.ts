// `kubefn dev`: the inner loop. Uses the cluster $KUBECONFIG (or --kubeconfig) names, or
// starts the local control plane; applies the program's CRDs; runs the program's entry point
// with one replica, restarting it whenever a file it loads changes (node --watch, deno run
// --watch). Ctrl-C stops the program and, if it started one, the control plane.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Program } from "../program/main.ts";

export interface DevOptions {
  main: string;
  program: string;
  kubeconfig?: string | undefined;
  /** Extra flags for the program. */
  args?: string[];
}

const say = (line: string) => console.error(`[kubefn dev] ${line}`);

/** The one program a module exports (program({...})), or an error saying what it found. */
export async function loadProgram(file: string): Promise<Program> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`no such file: ${file}`);
  const module = (await import(pathToFileURL(path).href).catch((error: { code?: string }) => {
    if (error.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    throw new Error(
      `this Node (${process.version}) cannot load ${file}: TypeScript needs Node 22.18 or later (type stripping)`,
    );
  })) as Record<string, unknown>;
  const programs = Object.values(module).filter((value): value is Program =>
    typeof value === "object" && value !== null && typeof (value as { name?: unknown }).name === "string" &&
    typeof (value as { build?: unknown }).build === "function"
  );
  if (programs.length !== 1) {
    throw new Error(`${file} must export exactly one program (program({...})); it exports ${programs.length}`);
  }
  return programs[0]!;
}

export async function dev(options: DevOptions): Promise<void> {
  if (!existsSync(resolve(options.main))) throw new Error(`no such file: ${options.main} (the program's entry point)`);
  const definition = await loadProgram(options.program);
  let stopCluster: (() => Promise<void>) | undefined;
  let kubeconfig = options.kubeconfig || process.env.KUBECONFIG;
  if (!kubeconfig) {
    say("no --kubeconfig and no $KUBECONFIG: starting the local control plane");
    const { startControlPlane } = await import("../control-plane.ts");
    const cluster = await startControlPlane({ log: say });
    kubeconfig = cluster.kubeconfig;
    stopCluster = () => cluster.stop();
    console.log(`export KUBECONFIG=${kubeconfig}`);
  }
  const [{ programKinds }, { installKinds, stopChild }] = await Promise.all([
    import("../manifests/program.ts"),
    import("../kit/program-process.ts"),
  ]);
  const kinds = programKinds(definition);
  await installKinds(kubeconfig, kinds);
  for (const kind of kinds) say(`applied ${kind.plural}.${kind.group}`);

  const watch = "Deno" in globalThis ? ["run", "--allow-all", "--watch"] : ["--watch"];
  const flags = [`--kubeconfig=${kubeconfig}`, "--leader-elect=false", ...(options.args ?? [])];
  say(`running ${options.main} (restarted when a file it loads changes; Ctrl-C stops)`);
  const child: ChildProcess = spawn(process.execPath, [...watch, options.main, ...flags], { stdio: "inherit" });
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      say(`${why}: stopping`);
      await stopChild(child);
      await stopCluster?.();
      done();
    };
    process.once("SIGINT", () => void stop("interrupted"));
    process.once("SIGTERM", () => void stop("terminated"));
    child.once("exit", (code, signal) => void stop(`the program exited (${code ?? signal})`));
  });
}
