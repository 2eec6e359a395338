// Posts a hook request to a remote hook and reads its answer: one connection pool per hook
// (and per TLS settings, when they come from a provider and change), the CA bundle, client
// certificate and Authorization header the hook is given, a deadline, and bounded bodies both
// ways. A timeout, a non-2xx answer or a body that is not a JSON object (or, for a strict hook,
// repeats a key) fails the sync as a throw would. undici (fetch with connection pools) is loaded
// on the first call: a program with no remote hooks never pays its ~28 MiB. On Bun, whose undici
// is a shim without TLS settings, Bun's own fetch takes them (its `tls` option) and pools itself.
import type { Agent, fetch } from "undici";
import type { RemoteHook } from "../controller.ts";
import { HookError } from "../reconcile/failures.ts";
import { repeatedKey, strictAnswers } from "./strict.ts";

export { HookError } from "../reconcile/failures.ts";

/** Largest request body sent to a hook, and largest answer read from one. */
export const maxHookBodyBytes = 16 * 2 ** 20;

let undici: Promise<typeof import("undici")> | undefined;

/** Posts a JSON body to the hook and returns its JSON answer; `headers` are sent too (trace context). */
export async function callRemote(
  hook: RemoteHook,
  name: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  const where = `${name} hook ${hook.url}`;
  if (text.length > maxHookBodyBytes) {
    throw new HookError(`${where}: the request is ${text.length} bytes, more than the limit of ${maxHookBodyBytes}`);
  }
  const settings = await settingsOf(hook, where);
  const init = {
    method: "POST",
    headers: {
      ...headers,
      "content-type": "application/json",
      accept: "application/json",
      ...(settings.authorization ? { authorization: settings.authorization } : {}),
    },
    body: text,
    signal: AbortSignal.timeout(hook.timeoutSeconds * 1000),
  };
  let response: Response | Awaited<ReturnType<typeof fetch>>;
  try {
    if (onBun) {
      response = await globalThis.fetch(hook.url, { ...init, tls: tlsOptions(settings) } as RequestInit);
    } else {
      const http = await (undici ??= import("undici"));
      response = await http.fetch(hook.url, { ...init, dispatcher: poolFor(http.Agent, hook, settings) });
    }
  } catch (error) {
    const cause = error as Error & { cause?: Error };
    if (cause.name === "TimeoutError") throw new HookError(`${where} did not answer within ${hook.timeoutSeconds} s`);
    throw new HookError(`${where} could not be reached: ${cause.cause?.message ?? cause.message}`);
  }
  const answer = await boundedText(response, maxHookBodyBytes).catch((error: Error) => {
    throw new HookError(`${where}: ${error.message}`, true);
  });
  if (response.status < 200 || response.status > 299) {
    throw new HookError(`${where} answered ${response.status}: ${messageOf(answer)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    throw new HookError(`${where} answered a body that is not JSON: ${answer.slice(0, 200)}`, true);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HookError(`${where} answered JSON that is not an object`, true);
  }
  const repeated = strictAnswers(hook) ? repeatedKey(answer) : undefined;
  if (repeated !== undefined) {
    throw new HookError(`${where} answered JSON with the key ${repeated} twice, which a strict hook may not`, true);
  }
  return parsed as Record<string, unknown>;
}

/** What one call is made with: the hook's own settings, and over them what its connection provider says now. */
interface CallSettings {
  caBundle?: string | undefined;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  authorization?: string | undefined;
}

async function settingsOf(hook: RemoteHook, where: string): Promise<CallSettings> {
  const own: CallSettings = {
    caBundle: hook.caBundle,
    clientCert: hook.clientCert,
    clientKey: hook.clientKey,
    authorization: hook.authorization ?? (hook.token ? `Bearer ${hook.token}` : undefined),
  };
  if (!hook.connection) return own;
  let provided: CallSettings;
  try {
    provided = await hook.connection();
  } catch (error) {
    throw new HookError(`${where}: ${(error as Error).message}`);
  }
  const settings = {
    caBundle: provided.caBundle ?? own.caBundle,
    clientCert: provided.clientCert ?? own.clientCert,
    clientKey: provided.clientKey ?? own.clientKey,
    authorization: provided.authorization ?? own.authorization,
  };
  if ((settings.clientCert === undefined) !== (settings.clientKey === undefined)) {
    throw new HookError(`${where}: a client certificate needs its key, and a key its certificate`);
  }
  return settings;
}

const onBun = "Bun" in globalThis;

/** The CA bundle, client certificate and key of a call, as TLS options take them. */
function tlsOptions({ caBundle: ca, clientCert: cert, clientKey: key }: CallSettings) {
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** The hook's connection pool for these TLS settings: the one it has, or a new one (the old one closes once idle). */
function poolFor(AgentClass: typeof Agent, hook: RemoteHook, settings: CallSettings): Agent {
  const { caBundle: ca, clientCert: cert, clientKey: key } = settings;
  const tls = JSON.stringify([ca ?? null, cert ?? null, key ?? null]);
  const current = hook.dispatcher as { tls: string; agent: Agent } | undefined;
  if (current?.tls === tls) return current.agent;
  void current?.agent.close().catch(() => undefined);
  const agent = new AgentClass({ connect: tlsOptions(settings), keepAliveTimeout: 30_000 });
  hook.dispatcher = { tls, agent };
  return agent;
}

/** The hook's own error message when its body is {"error": ...}, else the body, trimmed. */
function messageOf(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof error === "string") return error;
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return body.trim().slice(0, 1024) || "(no body)";
}

async function boundedText(response: Response | Awaited<ReturnType<typeof fetch>>, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > limit) {
    await response.body?.cancel();
    throw new Error(`the answer is ${declared} bytes, more than the limit of ${limit}`);
  }
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`the answer is more than the limit of ${limit} bytes`);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
