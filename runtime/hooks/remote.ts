// Functions that live elsewhere: a controller may declare its sync, finalize or related
// (customize) hook as `remote(url)`, and the runtime posts the request it would have passed
// in-process, in Metacontroller's webhook JSON, and reads the answer back (call-remote.ts).
// This file is only the declaration, so the function contract imports no HTTP client.

/** Metacontroller's default hook timeout. */
export const defaultHookTimeoutSeconds = 10;

export interface RemoteHookOptions {
  timeoutSeconds?: number;
  /** PEM certificates to trust for an https URL (instead of the system's). */
  caBundle?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

export interface RemoteHook extends Required<Pick<RemoteHookOptions, "timeoutSeconds">> {
  readonly kind: "remote";
  readonly url: string;
  readonly caBundle?: string | undefined;
  readonly token?: string | undefined;
  /**
   * The webhook JSON spoken: a CompositeController's (parent, children) by default, or a
   * DecoratorController's (object, attachments; labels and annotations for the object).
   */
  readonly protocol?: "composite" | "decorator";
  /** One connection pool per hook, made on first use (an undici Agent). */
  dispatcher?: unknown;
}

/** A hook served over HTTP, e.g. `sync: remote("http://partition-groups.atomix.svc/sync")`. */
export function remote(url: string, options: RemoteHookOptions = {}): RemoteHook {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`remote hook ${url}: only http and https URLs are served`);
  const timeoutSeconds = options.timeoutSeconds ?? defaultHookTimeoutSeconds;
  if (!(timeoutSeconds > 0)) throw new Error(`remote hook ${url}: timeoutSeconds must be positive, got ${timeoutSeconds}`);
  return { kind: "remote", url, timeoutSeconds, caBundle: options.caBundle, token: options.token };
}

export const isRemote = (hook: unknown): hook is RemoteHook => typeof hook === "object" && hook !== null && (hook as RemoteHook).kind === "remote";

/**
 * The same controller with its hooks served under `baseUrl` by a hook server (serve.ts):
 * <base>/<controller>/sync, /finalize and /customize. Its filter stays in-process.
 */
export function servedAt<D extends { name: string; sync: unknown; finalize?: unknown; related?: { kinds: unknown[]; select: unknown } }>(
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
