// A small Kubernetes REST client: typed by Kind, JSON in and out, server-side apply, and
// watches as async iterables. Credentials and TLS come from @kubernetes/client-node's
// KubeConfig (kubeconfig.ts loads it); requests go over node:http and node:https (transport.ts),
// which Node and Deno both provide.
// (Over 250 lines: one method per verb plus loading, all sharing #send; split up, they would only scatter.)
import type { KubeConfig } from "@kubernetes/client-node";
import { type Kind, resourcePath } from "./kinds.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import type { KubeObject, ObjectList, WatchEvent } from "./objects.ts";
import { connectionLimits, Transport, type TransportOptions, type TransportResponse } from "./transport.ts";

/** Client-side limit for one non-watch request. */
export const requestTimeoutMs = 30_000;

/** What a single read or write may carry besides its object. */
export interface RequestOptions {
  /** Abandons the request when it aborts; the request then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Exempt from the client's connection limit (`maxConnections`): sent at once over a
   * connection outside the ones ordinary requests share, never waiting behind a burst of them.
   * For the few requests that must not wait, like a leader's Lease renewal.
   */
  exempt?: boolean;
}

/** Page size for lists, as client-go's pager uses. */
export const listPageSize = 500;

/**
 * An error answer from the API server (a non-2xx response, or a watch's ERROR event), with what
 * its Status object said. isNotFound, isConflict and isGone test for the common ones.
 */
export class KubeError extends Error {
  /** The HTTP status code, e.g. 404, 409 or 410. */
  readonly status: number;
  /** The Status object's reason, e.g. "NotFound", "AlreadyExists" or "Conflict"; "" when it gave none. */
  readonly reason: string;
  /** The Status object's details (the object's name and kind, field causes), as sent; often undefined. */
  readonly details: unknown;
  /**
   * Makes the error.
   *
   * @param status the HTTP status code.
   * @param reason the Status object's reason, or "".
   * @param message the error's message; the client's say the method, the path and the server's message.
   * @param details the Status object's details.
   */
  constructor(status: number, reason: string, message: string, details?: unknown) {
    super(message);
    this.name = "KubeError";
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

/** Whether an error is the API server's 404 Not Found (as a KubeError). */
export const isNotFound = (error: unknown): boolean => error instanceof KubeError && error.status === 404;
/** Whether an error is the API server's 409 Conflict: a stale resourceVersion, or a create of an existing name. */
export const isConflict = (error: unknown): boolean => error instanceof KubeError && error.status === 409;
/** Whether an error is the API server's 422 Unprocessable Entity: the object is invalid (an immutable field changed, say). */
export const isInvalid = (error: unknown): boolean => error instanceof KubeError && error.status === 422;
/** Whether an error is the API server's 403 Forbidden: the caller's role does not allow the request. */
export const isForbidden = (error: unknown): boolean => error instanceof KubeError && error.status === 403;
/**
 * Whether an error, or one it was caused by (`cause`), is the API server refusing to make an
 * object in a namespace that is being deleted (403 with the cause NamespaceTerminating). Nothing
 * can be made there again; Kubernetes' own controllers stop trying, and so does the runtime.
 */
export function isNamespaceTerminating(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if (!(at instanceof KubeError) || at.status !== 403) continue;
    // A StatusCause's type is sent as "reason".
    const causes = (at.details as { causes?: Array<{ reason?: string }> } | undefined)?.causes;
    if (Array.isArray(causes) && causes.some((cause) => cause?.reason === "NamespaceTerminating")) return true;
  }
  return false;
}
/** Whether an error is the API server's 410 Gone: a watch or list resourceVersion too old to resume from. */
export const isGone = (error: unknown): boolean => error instanceof KubeError && error.status === 410;

/** Told about every request a KubeClient sends, once it is answered or has failed: for metrics. */
export interface RequestObserver {
  /**
   * @param method the HTTP method, e.g. "GET".
   * @param status the HTTP status code of the answer, or "error" when none came (network failure, timeout).
   */
  (method: string, status: number | "error"): void;
}

/** Which objects KubeClient.list and watch cover. */
export interface ListOptions {
  /** Only this namespace; undefined means every namespace (and is required for cluster-scoped kinds). */
  namespace?: string | undefined;
  /** A label selector, e.g. "app=web,tier!=cache"; undefined selects by no label. */
  labelSelector?: string | undefined;
  /** A field selector, e.g. "metadata.name=web"; undefined selects by no field. */
  fieldSelector?: string | undefined;
  /** Abandons the list (every page not yet read) when it aborts. */
  signal?: AbortSignal | undefined;
}

/** Where a watch starts, how long it lasts, and how to end it. */
export interface WatchOptions extends ListOptions {
  /**
   * Changes after this resourceVersion are streamed (a list's, usually). One the server no longer
   * remembers makes it throw a KubeError with status 410 (isGone): list again, then watch.
   */
  resourceVersion: string;
  /** The server ends the watch after this many seconds; the caller then watches again. */
  timeoutSeconds: number;
  /** Ask for BOOKMARK events, which carry a newer resourceVersion to resume from; default true. */
  allowWatchBookmarks?: boolean;
  /** Aborting it ends the watch: the generator then throws an AbortError (a DOMException). */
  signal: AbortSignal;
}

/** How KubeClient.apply writes: on whose behalf, and whether it takes fields others own. */
export interface ApplyOptions {
  /** The field manager that owns the fields applied; fields it applied before and leaves out now are removed. */
  fieldManager: string;
  /** Take fields other managers own instead of failing with a 409 conflict; default true. */
  force?: boolean;
  /** "status" applies to the status subresource (the object's status only). */
  subresource?: "status";
  /** Only compute the result (dryRun=All): nothing is stored, and the object as it would be is returned. */
  dryRun?: boolean;
}

/** How KubeClient.delete deletes: what happens to dependents, and preconditions. */
export interface DeleteOptions {
  /**
   * What happens to the objects it owns: "Background" (default) deletes it now and them after,
   * "Foreground" deletes them first, "Orphan" leaves them.
   */
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Delete only if the object still has this UID (not a newer object of the same name). */
  uid?: string;
  /** Delete only if the object is still at this resourceVersion (compare-and-delete). */
  resourceVersion?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

/**
 * A small Kubernetes REST client: JSON in and out, typed by Kind, with server-side apply and
 * watches as async iterables. Credentials and TLS come from a client-node KubeConfig. Every
 * method rejects with a KubeError when the API server answers with an error; requests other
 * than watches time out after 30 seconds.
 */
export class KubeClient {
  readonly #config: Promise<{ config: KubeConfig; server: string; transport: Transport }>;
  #observe: RequestObserver;

  /**
   * Takes a loaded KubeConfig, or one being loaded (then requests wait for it). `connections`
   * bounds the connections ordinary requests share (default 32; watches and exempt requests
   * have their own) and how long an idle one stays open (default 90 s).
   */
  constructor(
    config: KubeConfig | Promise<KubeConfig>,
    observe: RequestObserver = () => undefined,
    connections: TransportOptions = {},
  ) {
    connectionLimits(connections); // bad limits are refused here, not at the first request
    this.#config = Promise.resolve(config).then((loaded) => {
      const cluster = loaded.getCurrentCluster();
      if (!cluster) throw new Error("the kubeconfig has no current cluster");
      return {
        config: loaded,
        server: cluster.server.replace(/\/$/, ""),
        transport: new Transport(loaded, connections),
      };
    });
    this.#config.catch(() => undefined); // reported by ready and by every request
    this.#observe = observe;
  }

  /**
   * A client for the cluster of a kubeconfig file when given one; otherwise of $KUBECONFIG, else
   * ~/.kube/config, else the pod's service account (see loadKubeConfig). Loading goes on in the
   * background: requests wait for it, and `ready` says when it failed.
   */
  static load(kubeconfig?: string, observe?: RequestObserver, connections?: TransportOptions): KubeClient {
    return new KubeClient(loadKubeConfig(kubeconfig), observe, connections);
  }

  /** Resolves once the kubeconfig is loaded; rejects saying what is wrong with it. */
  get ready(): Promise<void> {
    return this.#config.then(() => undefined);
  }

  /** The loaded KubeConfig (credentials and TLS for connections the client does not make itself). */
  async kubeConfig(): Promise<KubeConfig> {
    return (await this.#config).config;
  }

  /** The API server's URL, without a trailing slash. */
  async server(): Promise<string> {
    return (await this.#config).server;
  }

  /**
   * Reads one object.
   *
   * @param kind its kind.
   * @param namespace its namespace; undefined for a cluster-scoped kind.
   * @param name its name.
   * @param options a signal that abandons the request (the client's own timeout is 30 s).
   * @throws KubeError with status 404 (isNotFound) when there is none.
   */
  async get<T extends KubeObject = KubeObject>(
    kind: Kind,
    namespace: string | undefined,
    name: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return (await this.request("GET", resourcePath(kind, namespace, name), options)) as T;
  }

  /** Lists every page and returns the items with the list's resourceVersion. */
  async list<T extends KubeObject = KubeObject>(kind: Kind, options: ListOptions = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = (await this.request("GET", resourcePath(kind, options.namespace), {
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: listPageSize,
          continue: continueToken,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      })) as { items: T[]; metadata: { resourceVersion: string; continue?: string } };
      for (const item of page.items) items.push(withKind(item, kind));
      resourceVersion = page.metadata.resourceVersion;
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /** Streams watch events until the server closes the watch or the signal aborts. */
  async *watch<T extends KubeObject = KubeObject>(kind: Kind, options: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    const response = await this.#send("GET", resourcePath(kind, options.namespace), {
      query: {
        watch: true,
        resourceVersion: options.resourceVersion,
        timeoutSeconds: options.timeoutSeconds,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal: options.signal,
      timeoutMs: 0,
      unlimited: true,
    });
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const value of response.chunks()) {
        buffer += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === "ERROR") {
            const status = event.object as unknown as { code?: number; reason?: string; message?: string };
            throw new KubeError(status.code ?? 500, status.reason ?? "", status.message ?? "watch error", status);
          }
          if (event.type !== "BOOKMARK") event.object = withKind(event.object, kind);
          yield event;
        }
      }
    } catch (error) {
      if (!options.signal.aborted) throw error;
    }
    if (options.signal.aborted) throw new DOMException("the watch was aborted", "AbortError");
  }

  /**
   * Creates an object in its metadata.namespace and returns it as stored (uid, resourceVersion).
   *
   * @throws KubeError with status 409 (isConflict) when the name is taken.
   */
  async create<T extends KubeObject>(kind: Kind, object: T, options: RequestOptions = {}): Promise<T> {
    return (await this.request("POST", resourcePath(kind, object.metadata.namespace), {
      ...options,
      body: object,
    })) as T;
  }

  /** Replaces an object; the object's resourceVersion makes this a compare-and-swap. */
  async update<T extends KubeObject>(kind: Kind, object: T, options: RequestOptions = {}): Promise<T> {
    return (await this.request("PUT", resourcePath(kind, object.metadata.namespace, object.metadata.name), {
      ...options,
      body: object,
    })) as T;
  }

  /** Server-side apply of a partial object owned by fieldManager. */
  async apply<T extends KubeObject>(kind: Kind, object: KubeObject, options: ApplyOptions): Promise<T> {
    const path = resourcePath(kind, object.metadata.namespace, object.metadata.name, options.subresource);
    return (await this.request("PATCH", path, {
      body: object,
      contentType: "application/apply-patch+yaml",
      query: {
        fieldManager: options.fieldManager,
        force: options.force ?? true,
        ...(options.dryRun ? { dryRun: "All" } : {}),
      },
    })) as T;
  }

  /**
   * Patches an object and returns it as stored.
   *
   * @param kind its kind.
   * @param namespace its namespace; undefined for a cluster-scoped kind.
   * @param name its name.
   * @param patch a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902) as a value; encoded here.
   * @param type "merge" (default) or "json".
   * @param subresource "status" patches the status subresource.
   */
  async patch<T extends KubeObject>(
    kind: Kind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: "merge" | "json" = "merge",
    subresource?: "status",
  ): Promise<T> {
    return (await this.request("PATCH", resourcePath(kind, namespace, name, subresource), {
      body: patch,
      contentType: type === "merge" ? "application/merge-patch+json" : "application/json-patch+json",
    })) as T;
  }

  /**
   * Asks for an object's deletion. It may linger while finalizers hold it.
   *
   * @param kind its kind.
   * @param namespace its namespace; undefined for a cluster-scoped kind.
   * @param name its name.
   * @param options propagation to dependents (default Background) and preconditions.
   * @throws KubeError with status 404 when there is none, 409 when a precondition fails.
   */
  async delete(kind: Kind, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<void> {
    await this.request("DELETE", resourcePath(kind, namespace, name), {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: options.propagationPolicy ?? "Background",
        ...(options.uid || options.resourceVersion
          ? {
            preconditions: {
              ...(options.uid ? { uid: options.uid } : {}),
              ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
            },
          }
          : {}),
      },
    });
  }

  /**
   * Sends a request and returns the parsed JSON body (undefined when empty); non-2xx answers
   * throw KubeError. For what the typed methods do not cover: discovery, subresources, raw paths.
   *
   * @param method the HTTP method, e.g. "GET".
   * @param path the path on the API server, e.g. "/apis/apps/v1" or "/api/v1/namespaces/web/pods/a/log".
   * @param options query parameters (undefined and "" values are left out), a body (sent as JSON),
   *   its content type (default application/json), and a signal to abort the request.
   */
  async request(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | number | boolean | undefined>;
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal;
      exempt?: boolean;
    } = {},
  ): Promise<unknown> {
    const { exempt, ...rest } = options;
    const response = await this.#send(method, path, {
      ...rest,
      timeoutMs: requestTimeoutMs,
      unlimited: exempt === true,
    });
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  }

  async #send(
    method: string,
    path: string,
    options: {
      query?: Query;
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal;
      timeoutMs: number;
      /** Over the connections without a limit (watches, exempt requests). */
      unlimited?: boolean;
    },
  ) {
    const { server, transport } = await this.#config;
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    let response: TransportResponse;
    try {
      response = await transport.send({
        method,
        url,
        headers,
        unlimited: options.unlimited === true,
        ...(options.body === undefined ? {} : { body: encodeBody(options.body, options.contentType) }),
        ...(signals.length ? { signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) } : {}),
      });
    } catch (error) {
      this.#observe(method, "error");
      throw error;
    }
    this.#observe(method, response.status);
    if (response.status >= 200 && response.status < 300) return response;
    const text = await response.text();
    let status: { reason?: string; message?: string; details?: unknown } = {};
    try {
      status = JSON.parse(text);
    } catch {
      status = { message: text };
    }
    throw new KubeError(
      response.status,
      status.reason ?? "",
      `${method} ${path}: ${status.message ?? `HTTP ${response.status}`}`,
      status.details,
    );
  }
}

/**
 * The request body as JSON. A JSON patch's test op compares the encoded bytes of a value, and
 * the API server encodes <, > and & as \u003c, \u003e and \u0026 (Go's encoding/json), so
 * a test of a string holding them fails unless the patch encodes them the same way.
 */
export function encodeBody(body: unknown, contentType: string | undefined): string {
  const json = JSON.stringify(body);
  if (contentType !== "application/json-patch+json") return json;
  return json.replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Lists and watches omit apiVersion/kind on items; put them back so objects are self-describing. */
function withKind<T extends KubeObject>(object: T, kind: Kind): T {
  if (object && !object.kind) {
    object.apiVersion = kind.apiVersion;
    object.kind = kind.kind;
  }
  return object;
}
