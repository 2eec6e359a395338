// Posts a hook request to a remote hook and reads its answer: one connection pool per hook,
// a deadline, and bounded bodies both ways. A timeout, a non-2xx answer or a body that is not a
// JSON object fails the sync as a throw would.
import { Agent, fetch } from "undici";
import type { RemoteHook } from "../controller.ts";
import { HookError } from "../reconcile/failures.ts";

export { HookError } from "../reconcile/failures.ts";

/** Largest request body sent to a hook, and largest answer read from one. */
export const maxHookBodyBytes = 16 * 2 ** 20;

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
  hook.dispatcher ??= new Agent({ connect: hook.caBundle ? { ca: hook.caBundle } : {}, keepAliveTimeout: 30_000 });
  const dispatcher = hook.dispatcher as Agent;
  let response;
  try {
    response = await fetch(hook.url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        accept: "application/json",
        ...(hook.token ? { authorization: `Bearer ${hook.token}` } : {}),
      },
      body: text,
      dispatcher,
      signal: AbortSignal.timeout(hook.timeoutSeconds * 1000),
    });
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
  return parsed as Record<string, unknown>;
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

async function boundedText(response: Awaited<ReturnType<typeof fetch>>, limit: number): Promise<string> {
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
