// --api-auth=kubernetes: every RPC carries "authorization: Bearer <token>". The request gate
// (which runs before the body is read) asks a TokenReview who the token is; an interceptor,
// which sees the parsed request, asks a SubjectAccessReview whether that user may do what
// the RPC does (its rule, rules.ts). Answers are kept briefly by token hash (cache.ts).
// Failures are UNAUTHENTICATED (no token, or one the API server refuses), PERMISSION_DENIED
// (naming the verb, resource and namespace) or UNAVAILABLE (the API server could not say).
import { createHash } from "node:crypto";
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";
import { ReviewCache } from "./cache.ts";
import { type AccessVerdict, reviewAccessOf, reviewToken, type TokenVerdict, type User } from "./reviews.ts";
import {
  methodKey,
  resourceName,
  type RpcResourceRule,
  type RpcRule,
  ruleTable,
  type ServiceAccess,
  undeclared,
} from "./rules.ts";

/** Most answers kept per cache (tokens, and token × request attributes). */
export const reviewCacheEntries = 4096;

const callerKey = createContextKey<{ user: User; tokenHash: string } | undefined>(undefined, {
  description: "the authenticated caller",
});

export interface KubernetesAuthOptions {
  client: KubeClient;
  log: Logger;
  /** The access rules of every service served. */
  access: readonly ServiceAccess[];
  cacheTtlSeconds: number;
}

export class KubernetesAuth {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #rules: Map<string, RpcRule>;
  readonly #tokens: ReviewCache<TokenVerdict>;
  readonly #decisions: ReviewCache<AccessVerdict>;

  constructor(options: KubernetesAuthOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#rules = ruleTable(options.access);
    const cache = { ttlMs: options.cacheTtlSeconds * 1000, maxEntries: reviewCacheEntries };
    this.#tokens = new ReviewCache(cache);
    this.#decisions = new ReviewCache(cache);
  }

  /** Throws when a served method has no rule: with authorization on, every RPC must say what it does. */
  checkServed(methods: readonly DescMethod[]): void {
    const missing = undeclared(methods, this.#rules);
    if (missing.length) {
      throw new Error(
        `--api-auth=kubernetes: no access rule is declared for ${
          missing.join(", ")
        }; declare one next to the handlers (serviceAccess)`,
      );
    }
  }

  /** Authentication, before the request body is read. */
  readonly requestGate = async (context: HandlerContext): Promise<void> => {
    const rule = this.#rule(context.method);
    if (rule === "public") return;
    const token = bearerToken(context.requestHeader.get("authorization"));
    if (!token) {
      throw new ConnectError(
        'no bearer token: send the metadata "authorization: Bearer <token>"',
        Code.Unauthenticated,
      );
    }
    const tokenHash = createHash("sha256").update(token).digest("hex");
    const verdict = await this.#tokens.get(
      tokenHash,
      () => this.#ask("TokenReview", () => reviewToken(this.#client, token)),
    );
    if (!verdict.authenticated) {
      throw new ConnectError(`the bearer token was not accepted: ${verdict.error}`, Code.Unauthenticated);
    }
    context.values.set(callerKey, { user: verdict.user, tokenHash });
  };

  /** Authorization, once the request message is parsed. */
  readonly interceptor: Interceptor = (next) => async (request) => {
    const rule = this.#rule(request.method);
    if (rule === "public" || rule === "authenticated") return next(request);
    const caller = request.contextValues.get(callerKey);
    if (!caller) throw new ConnectError("the call was not authenticated", Code.Unauthenticated);
    if (!request.stream) {
      await this.#authorize(caller, rule, request.message);
      return next(request);
    }
    // A server stream's one request message, read here and handed on unchanged.
    const messages = request.message[Symbol.asyncIterator]();
    const first = await messages.next();
    if (!first.done) await this.#authorize(caller, rule, first.value);
    return next({ ...request, message: replay(first, messages) });
  };

  #rule(method: DescMethod): RpcRule {
    const rule = this.#rules.get(methodKey(method));
    if (!rule) throw new ConnectError(`no access rule is declared for ${methodKey(method)}`, Code.PermissionDenied);
    return rule;
  }

  async #authorize(caller: { user: User; tokenHash: string }, rule: RpcResourceRule, message: unknown): Promise<void> {
    const attributes = {
      verb: rule.verb,
      apiVersion: rule.kind.apiVersion,
      resource: rule.kind.plural,
      subresource: rule.subresource,
      namespace: rule.kind.namespaced ? rule.namespace?.(message) : undefined,
      name: rule.name?.(message),
    };
    const key = [
      caller.tokenHash,
      attributes.verb,
      attributes.apiVersion,
      attributes.resource,
      attributes.subresource,
      attributes.namespace,
      attributes.name,
    ].join("\u0000");
    const verdict = await this.#decisions.get(
      key,
      () => this.#ask("SubjectAccessReview", () => reviewAccessOf(this.#client, caller.user, attributes)),
    );
    if (verdict.allowed) return;
    const where = attributes.namespace ? ` in namespace "${attributes.namespace}"` : "";
    const named = attributes.name ? ` "${attributes.name}"` : "";
    const why = verdict.reason ? ` (${verdict.reason})` : "";
    throw new ConnectError(
      `user "${caller.user.username}" may not ${rule.verb} ${resourceName(rule)}${named}${where}${why}`,
      Code.PermissionDenied,
    );
  }

  async #ask<T>(review: string, ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      this.#log.warn(`${review} failed`, { error: (error as Error).message });
      throw new ConnectError(
        `could not check the caller: the ${review} failed (${(error as Error).message})`,
        Code.Unavailable,
      );
    }
  }
}

/** The token of an "authorization: Bearer <token>" value (the scheme in any case), or undefined. */
export function bearerToken(header: string | null): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

async function* replay<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
