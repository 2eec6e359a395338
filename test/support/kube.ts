// Helpers for tests that run against the local control plane started by test/run.ts.
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { eventually, type EventuallyOptions } from "../../runtime/testing.ts";

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

/**
 * Polls until the probe returns a value (not undefined, null or false) without throwing, and
 * returns it; on timeout the error names what was awaited and the last failure seen. The
 * runtime's test kit's, as users get it.
 */
export { eventually, type EventuallyOptions };

/** The HTTP status code of a failed client-node call, or undefined. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}
