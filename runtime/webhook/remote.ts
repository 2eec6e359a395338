// Functions that live elsewhere: a controller may declare its sync, finalize or related
// (customize) hook as `remote(url)`, and the runtime posts the request it would have passed
// in-process, in Metacontroller's webhook JSON, and reads the answer back (client.ts).
// This file only makes the declarations (the contract, controller.ts, defines their shape),
// so declaring a remote hook loads no HTTP client.
import { defaultHookTimeoutSeconds, type RemoteHook, type RemoteHookOptions } from "../controller.ts";

/** A hook served over HTTP, e.g. `sync: remote("http://websites-hooks.web.svc/sync")`. */
export function remote(url: string, options: RemoteHookOptions = {}): RemoteHook {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`remote hook ${url}: only http and https URLs are served`);
  }
  const timeoutSeconds = options.timeoutSeconds ?? defaultHookTimeoutSeconds;
  if (!(timeoutSeconds > 0)) {
    throw new Error(`remote hook ${url}: timeoutSeconds must be positive, got ${timeoutSeconds}`);
  }
  if (options.token !== undefined && options.authorization !== undefined) {
    throw new Error(`remote hook ${url}: give token or authorization, not both`);
  }
  if ((options.clientCert === undefined) !== (options.clientKey === undefined)) {
    throw new Error(`remote hook ${url}: clientCert and clientKey go together`);
  }
  if (options.version !== undefined && options.version !== "v1" && options.version !== "v2") {
    throw new Error(`remote hook ${url}: version must be v1 or v2, got ${options.version}`);
  }
  const { caBundle, token, authorization, clientCert, clientKey, connection, version, strict } = options;
  return {
    kind: "remote",
    url,
    timeoutSeconds,
    caBundle,
    token,
    authorization,
    clientCert,
    clientKey,
    connection,
    version,
    strict,
  };
}

/**
 * The same controller with its hooks served under `baseUrl` by a hook server (serve.ts):
 * <base>/<controller>/sync, /finalize and /customize. Its filter stays in-process.
 */
export function servedAt<
  D extends { name: string; sync: unknown; finalize?: unknown; related?: { kinds: unknown[]; select: unknown } },
>(
  definition: D,
  baseUrl: string,
  options: RemoteHookOptions = {},
): D {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  const at = (hook: string) => remote(new URL(`${definition.name}/${hook}`, base).href, options);
  return {
    ...definition,
    sync: at("sync"),
    ...(definition.finalize ? { finalize: at("finalize") } : {}),
    ...(definition.related ? { related: { kinds: definition.related.kinds, select: at("customize") } } : {}),
  };
}
