// HTTP to the API server over node:http and node:https (Node's own modules, already in every
// process), with the kubeconfig's credentials and TLS: keep-alive agents per set of TLS
// material, made anew when a rotated client certificate or CA changes it; through
// client-node's proxy agents when the cluster names a proxy-url. Written here rather than
// through fetch: undici, the package behind fetch, costs about 28 MiB of resident memory
// to load, and Node's built-in copy of it about 17, for what these two modules already do.
//
// HTTP/1.1 takes a connection per request in flight, and each TLS connection holds about
// 120 KiB of malloc'd memory that glibc keeps after it closes: a burst of writes that opened
// 150 connections left the process 17 MiB larger for good. So ordinary requests share at
// most `maxConnections` connections (client-go shares one HTTP/2 connection) and wait for one
// beyond that; an idle one closes after `idleMs` (client-go's IdleConnTimeout). Requests that
// stay open (watches) or must not wait behind a burst (the leader's Lease) go over
// connections of their own, without a limit.
import type { Agent as HttpAgent, IncomingMessage, RequestOptions as HttpRequestOptions } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { defaultKubeApiConnections, kubeApiIdleConnectionMs } from "../defaults.ts";

/** What a request carries. */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** Aborting ends the request (and a body being read) with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Sent over a connection outside the `maxConnections` shared by ordinary requests, at once:
   * for a request that stays open (a watch) or must not wait behind others (a Lease renewal).
   */
  unlimited?: boolean;
}

/** How a Transport uses connections. */
export interface TransportOptions {
  /** Connections ordinary requests share at most; more wait for one. Default 32. */
  maxConnections?: number;
  /** An idle connection of theirs closes after this long. Default 90 s. */
  idleMs?: number;
}

/** An answer whose body is read once: whole (text) or as it streams (chunks). */
export interface TransportResponse {
  status: number;
  text(): Promise<string>;
  chunks(): AsyncIterable<Uint8Array>;
}

/** The kubeconfig's credentials for one connection: headers and TLS. */
export interface Credentials {
  headers: Record<string, string>;
  tls: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    rejectUnauthorized?: boolean;
    servername?: string;
  };
}

type HttpsLike = {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers?: Record<string, string>;
  auth?: string;
};

/**
 * The headers (bearer tokens from files and exec plugins, impersonation, basic auth) and the TLS
 * material the kubeconfig's current user and cluster say to use, as they are now.
 */
export async function credentials(config: KubeConfig): Promise<Credentials> {
  const options: HttpsLike = {};
  // applyOptions is client-node's own step of applyToHTTPSOptions without the agent it makes.
  await (config as unknown as { applyOptions(options: HttpsLike): Promise<void> }).applyOptions(options);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name] = String(value);
  const user = config.getCurrentUser();
  if (user?.username) {
    headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
  }
  const tls: Credentials["tls"] = {};
  for (const field of ["ca", "cert", "key", "rejectUnauthorized", "servername"] as const) {
    if (options[field] !== undefined) (tls as Record<string, unknown>)[field] = options[field];
  }
  return { headers, tls };
}

/** Whether two sets of TLS material are the same (a rotated certificate, key or CA is not). */
export function sameTls(a: Credentials["tls"], b: Credentials["tls"]): boolean {
  const same = (x: Buffer | undefined, y: Buffer | undefined) => x === y || (!!x && !!y && x.equals(y));
  return same(a.ca, b.ca) && same(a.cert, b.cert) && same(a.key, b.key) &&
    a.rejectUnauthorized === b.rejectUnauthorized && a.servername === b.servername;
}

/**
 * The options with their defaults filled in.
 *
 * @throws RangeError naming the option when maxConnections is not a whole number >= 1 or
 *   idleMs is not a positive number.
 */
export function connectionLimits(options: TransportOptions): Required<TransportOptions> {
  const maxConnections = options.maxConnections ?? defaultKubeApiConnections;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(`maxConnections must be a whole number >= 1, got ${maxConnections}`);
  }
  const idleMs = options.idleMs ?? kubeApiIdleConnectionMs;
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw new RangeError(`idleMs must be a number > 0, got ${idleMs}`);
  return { maxConnections, idleMs };
}

/** The two agents for one set of TLS material: ordinary requests', limited, and the rest. */
interface Agents {
  limited: HttpAgent;
  unlimited: HttpAgent;
  secure: boolean;
  tls: Credentials["tls"];
}

/** Sends requests for one KubeConfig. */
export class Transport {
  readonly #config: KubeConfig;
  readonly #maxConnections: number;
  readonly #idleMs: number;
  #agents: Agents | undefined;
  #modules: Promise<{ http: typeof import("node:http"); https: typeof import("node:https") }> | undefined;

  constructor(config: KubeConfig, options: TransportOptions = {}) {
    const { maxConnections, idleMs } = connectionLimits(options);
    this.#config = config;
    this.#maxConnections = maxConnections;
    this.#idleMs = idleMs;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    request.signal?.throwIfAborted();
    const { headers, tls } = await credentials(this.#config);
    const { http, https } = await (this.#modules ??= Promise.all([import("node:http"), import("node:https")]).then((
      [http, https],
    ) => ({ http, https })));
    const secure = request.url.protocol === "https:";
    const options: HttpRequestOptions = {
      method: request.method,
      headers: { ...headers, ...request.headers },
      agent: this.#agentFor(secure, tls, http, https, request.unlimited === true),
    };
    if (request.body !== undefined) {
      (options.headers as Record<string, string | number>)["content-length"] = Buffer.byteLength(request.body);
    }
    return await new Promise<TransportResponse>((resolve, reject) => {
      const outgoing = (secure ? https : http).request(request.url, options);
      const abort = () => outgoing.destroy(request.signal!.reason);
      request.signal?.addEventListener("abort", abort, { once: true });
      const done = () => request.signal?.removeEventListener("abort", abort);
      // Every error is listened for (a request may fail after its answer began): none goes uncaught.
      outgoing.on("error", (error) => {
        done();
        reject(request.signal?.aborted ? request.signal.reason : error);
      });
      outgoing.once("response", (incoming) => resolve(answer(incoming, request.signal, done)));
      outgoing.end(request.body);
    });
  }

  #agentFor(
    secure: boolean,
    tls: Credentials["tls"],
    http: typeof import("node:http"),
    https: typeof import("node:https"),
    unlimited: boolean,
  ): HttpAgent {
    const current = this.#agents;
    if (current && current.secure === secure && sameTls(current.tls, tls)) {
      return unlimited ? current.unlimited : current.limited;
    }
    const cluster = this.#config.getCurrentCluster();
    // The previous agents' connections end as their requests do (watches included).
    if (current) {
      setTimeout(() => {
        current.limited.destroy();
        current.unlimited.destroy();
      }, 60 * 60_000).unref();
    }
    // An idle connection of the limited agent closes after idleMs: Node destroys a free socket
    // whose timeout fires (and a timeout on a request in flight only emits an event no one
    // acts on; requests have their own).
    const limits = { maxSockets: this.#maxConnections, timeout: this.#idleMs };
    const make = (limited: boolean): HttpAgent => {
      const extra = limited ? limits : {};
      if (cluster?.proxyUrl) {
        // client-node's proxy agents (HTTP, HTTPS and SOCKS proxies), made as it makes them. It
        // keeps one agent per cluster and user and hands that out again; these two differ, and
        // rotated TLS material needs new ones, so its cache is emptied first.
        const config = this.#config as unknown as {
          agentCache?: Map<string, unknown>;
          createAgent(cluster: unknown, options: unknown): HttpAgent;
        };
        config.agentCache?.clear();
        return config.createAgent(cluster, { ...tls, keepAlive: true, ...extra });
      }
      const options = { keepAlive: true, keepAliveMsecs: 30_000, ...extra };
      return secure ? new https.Agent({ ...options, ...tls }) : new http.Agent(options);
    };
    const agents: Agents = { limited: make(true), unlimited: make(false), secure, tls };
    this.#agents = agents;
    return unlimited ? agents.unlimited : agents.limited;
  }
}

function answer(incoming: IncomingMessage, signal: AbortSignal | undefined, done: () => void): TransportResponse {
  // Read through its iterator, which reports errors; this keeps one before reading starts from going uncaught.
  incoming.on("error", () => undefined);
  let taken = false;
  const take = () => {
    if (taken) throw new Error("the response body was already read");
    taken = true;
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of incoming) yield chunk as Uint8Array;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      done();
      if (!incoming.complete) incoming.destroy();
    }
  }
  return {
    status: incoming.statusCode ?? 0,
    async text() {
      take();
      const parts: Uint8Array[] = [];
      for await (const chunk of chunks()) parts.push(chunk);
      return Buffer.concat(parts).toString("utf8");
    },
    chunks() {
      take();
      return chunks();
    },
  };
}
