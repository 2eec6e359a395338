// Helpers for tests that run against the local control plane started by test/run.ts.
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

export function testKubeConfig(path = process.env.KUBECONFIG_FOR_TESTS): KubeConfig {
  if (!path) throw new Error("KUBECONFIG_FOR_TESTS is not set: run cluster tests through `node test/run.ts`");
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}

/** Creates a namespace named after the test file, with a random suffix; remove() deletes it. */
export async function freshNamespace(
  config: KubeConfig,
  prefix: string,
): Promise<{ name: string; remove(): Promise<void> }> {
  const core = config.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name, labels: { "test.atomix.io/namespace": "true" } } } });
  // A namespace is usable once its default ServiceAccount exists.
  await eventually(
    `ServiceAccount default in ${name}`,
    () => core.readNamespacedServiceAccount({ name: "default", namespace: name }),
  );
  return {
    name,
    async remove() {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls until the probe returns a value other than undefined/false without throwing, and returns it.
 * On timeout the error names what was awaited and the last failure seen.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown = "never satisfied";
  while (true) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : String(last);
      throw new Error(`timed out waiting for ${what}: ${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** The HTTP status code of a failed client-node call, or undefined. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}
