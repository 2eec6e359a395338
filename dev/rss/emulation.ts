// Makes kwok pods of ReplicatedStatefulSets behave like members of a replicated application,
// on the local control plane: the scripts the README's example names (/sequence.sh,
// /seed.sh, /start.sh, /check.sh, /stop.sh) are installed at / on this machine as small
// shims into dev/rss/app.sh, and every pod labelled rss-operator-managed=true gets an Exec
// named like it whose commands run in its own state directory (<stateRoot>/<namespace>/<pod>)
// with POD_NAME, POD_NAMESPACE and POD_UID. When a pod goes, its application stops (the
// state directory, its "disk", stays), as with a real container.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isConflict, isNotFound, KubeClient } from "../../runtime/run.ts";
import { builtinKinds, kind, type KubeObject } from "../../runtime/mod.ts";

export const ExecKind = kind("kwok.x-k8s.io/v1alpha1", "Exec", "execs");
export const scriptsDir = import.meta.dirname;
/** The example's commands, and the app.sh command each one runs. */
export const rootScripts: Record<string, string> = {
  "/sequence.sh": "sequence",
  "/seed.sh": "seed",
  "/start.sh": "start",
  "/secondary.sh": "secondary",
  "/check.sh": "check",
  "/stop.sh": "stop",
  "/write.sh": "write",
};
const shimMarker = "# rss emulation shim (atomix-controller-ts dev/rss)";
const memberSelector = "rss-operator-managed=true";

export function shim(command: string): string {
  return `#!/bin/sh\n${shimMarker}\nexec "\${RSS_TEST_SCRIPTS:?this pod has no rss emulation Exec}/app.sh" ${command} "$@"\n`;
}

/** Installs the shims at /; refuses to replace a file that is not one. */
export function installRootScripts(): void {
  for (const [path, command] of Object.entries(rootScripts)) {
    if (existsSync(path) && !readFileSync(path, "utf8").includes(shimMarker)) {
      throw new Error(
        `${path} exists and is not the rss emulation's shim: remove it to run the rss emulation on this machine`,
      );
    }
    try {
      writeFileSync(path, shim(command), { mode: 0o755 });
    } catch (error) {
      throw new Error(
        `cannot install ${path} (the example's commands are absolute paths, run by kwok on this machine): ${
          (error as Error).message
        }`,
      );
    }
  }
}

export interface Emulation {
  stateRoot: string;
  /** A member's state directory. */
  stateDir(namespace: string, pod: string): string;
  stop(): Promise<void>;
}

/** Keeps an Exec per member pod and stops a member's application when its pod goes. */
export async function startEmulation(
  kubeconfig: string,
  stateRoot: string,
  log: (line: string) => void = () => undefined,
): Promise<Emulation> {
  installRootScripts();
  const client = KubeClient.load(kubeconfig);
  const abort = new AbortController();
  const stateDir = (namespace: string, pod: string) => join(stateRoot, namespace, pod);
  const known = new Map<string, string>();

  const podChanged = async (pod: KubeObject, gone: boolean) => {
    const namespace = pod.metadata.namespace!;
    const dir = stateDir(namespace, pod.metadata.name);
    mkdirSync(dir, { recursive: true });
    const key = `${namespace}/${pod.metadata.name}`;
    if (gone || pod.metadata.deletionTimestamp) {
      // The container stops with its pod; its disk stays. The log says whether the application still ran.
      if (known.get(key) !== pod.metadata.uid) return;
      known.set(key, `${pod.metadata.uid}:gone`);
      appendFileSync(join(dir, "log"), `pod deleted (${existsSync(join(dir, "running")) ? "running" : "stopped"})\n`);
      rmSync(join(dir, "running"), { force: true });
      return;
    }
    if (known.get(key)?.startsWith(pod.metadata.uid!)) return;
    known.set(key, pod.metadata.uid!);
    rmSync(join(dir, "running"), { force: true });
    const exec = {
      apiVersion: ExecKind.apiVersion,
      kind: ExecKind.kind,
      metadata: { name: pod.metadata.name, namespace },
      spec: {
        execs: [
          {
            local: {
              workDir: dir,
              envs: [
                { name: "POD_NAME", value: pod.metadata.name },
                { name: "POD_NAMESPACE", value: namespace },
                { name: "POD_UID", value: pod.metadata.uid! },
                { name: "RSS_TEST_SCRIPTS", value: scriptsDir },
                { name: "RSS_STATE", value: dir },
              ],
            },
          },
        ],
      },
    };
    await client.apply(ExecKind, exec as KubeObject, { fieldManager: "rss-emulation", force: true });
    log(`[rss-emulation] ${key} (${pod.metadata.uid}) runs in ${dir}`);
  };

  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        const list = await client.list(builtinKinds.Pod, { labelSelector: memberSelector });
        for (const pod of list.items) await podChanged(pod, false);
        for await (
          const event of client.watch(builtinKinds.Pod, {
            labelSelector: memberSelector,
            resourceVersion: list.resourceVersion,
            timeoutSeconds: 300,
            signal: abort.signal,
          })
        ) {
          if (event.type === "BOOKMARK") continue;
          await podChanged(event.object, event.type === "DELETED");
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (!isConflict(error) && !isNotFound(error)) {
          log(`[rss-emulation] watch restarts: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  mkdirSync(stateRoot, { recursive: true });
  const running = loop();
  return {
    stateRoot,
    stateDir,
    async stop() {
      abort.abort();
      await running;
    },
  };
}
