// Reads the Secrets and ConfigMaps that webhooks' connection settings name, by GET, each kept
// for a few seconds: a rotated Secret is used within that time, a missing one is asked for
// again after it, and the program holds only the objects it was asked for (no cluster-wide
// cache of Secrets), needing only `get` on them.
import { builtinKinds, type KubeObject } from "../../runtime/mod.ts";
import { isNotFound, type KubeClient } from "../../runtime/run.ts";
import type { ReadObject } from "./endpoint-credentials.ts";

/** How long a Secret or ConfigMap that was read (or found missing) is used before it is read again. */
export const objectTtlMs = 10_000;

/**
 * A reader of Secrets and ConfigMaps through the client, each answer (an object, or none) kept
 * for `ttlMs`; concurrent reads of one object share one request; failures are not kept.
 */
export function cachedReader(
  client: Pick<KubeClient, "get">,
  ttlMs = objectTtlMs,
  now: () => number = Date.now,
): ReadObject {
  const kept = new Map<string, { until: number; object: Promise<KubeObject | undefined> }>();
  return (kind, namespace, name) => {
    const key = `${kind}/${namespace}/${name}`;
    const entry = kept.get(key);
    if (entry && entry.until > now()) return entry.object;
    const object = client.get(builtinKinds[kind], namespace, name).then(
      (found) => found as KubeObject,
      (error: Error) => {
        if (isNotFound(error)) return undefined;
        if (kept.get(key)?.object === object) kept.delete(key);
        throw error;
      },
    );
    kept.set(key, { until: now() + ttlMs, object });
    // Forget what has expired, so the map holds only what is in use.
    for (const [other, { until }] of kept) if (until <= now()) kept.delete(other);
    return object;
  };
}
