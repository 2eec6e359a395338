// Runs one command in a pod's container through the pods/exec subresource: a WebSocket to
// the API server speaking channel.k8s.io (v5, else v4), with the kubeconfig's credentials
// and TLS (undici's WebSocket over an undici Agent with that TLS, so it runs on Node and Deno;
// loaded on the first exec, so a program that runs no commands never pays its ~28 MiB),
// a deadline, and output kept within a byte budget. It never throws: every way a run can
// end is in the outcome.
import type { Agent, WebSocket } from "undici";
import type { ActionResult } from "../controller.ts";
import type { KubeClient } from "../kube/client.ts";
import { type Credentials, credentials, sameTls } from "../kube/transport.ts";
import {
  channels,
  clip,
  decodeFrame,
  execPath,
  execSubprotocols,
  type ExecTarget,
  exitStatus,
  OutputTail,
} from "./protocol.ts";

/** Bytes kept of each of stdout and stderr (the last ones). */
export const defaultMaxOutputBytes = 65_536;
/** Longest error message kept from the API server. */
const maxErrorChars = 1_000;

export interface ExecRequest extends ExecTarget {
  timeoutMs: number;
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/** How a run ended: the part of an action's result (controller.ts) that exec decides. */
export type ExecOutcome = Pick<ActionResult, "exitCode" | "stdout" | "stderr" | "truncated" | "timedOut" | "error">;

export type Exec = (request: ExecRequest) => Promise<ExecOutcome>;

/** An Exec bound to a client's kubeconfig. */
export function podExec(client: KubeClient): Exec {
  let loaded: Promise<typeof import("undici")> | undefined;
  let pool: { tls: Credentials["tls"]; agent: Agent } | undefined;
  return async (request) => {
    const undici = await (loaded ??= import("undici"));
    const server = await client.server();
    const path = execPath(request);
    const { headers, tls } = await credentials(await client.kubeConfig());
    if (!pool || !sameTls(pool.tls, tls)) {
      void pool?.agent.close().catch(() => undefined);
      pool = { tls, agent: new undici.Agent({ connect: tls }) };
    }
    const url = (server + path).replace(/^http/, "ws");
    const outcome = await run(undici.WebSocket, url, headers, pool.agent, request);
    if (outcome.error === handshakeFailed) outcome.error = await diagnose(client, path);
    return outcome;
  };
}

const handshakeFailed = "the API server refused the exec connection";

function run(
  WebSocketClass: typeof WebSocket,
  url: string,
  headers: Record<string, string>,
  dispatcher: unknown,
  request: ExecRequest,
): Promise<ExecOutcome> {
  const limit = request.maxOutputBytes ?? defaultMaxOutputBytes;
  const stdout = new OutputTail(limit);
  const stderr = new OutputTail(limit);
  const status = new OutputTail(16_384);
  return new Promise((resolve) => {
    let opened = false;
    let settled = false;
    let timedOut = false;
    const socket = new WebSocketClass(url, {
      protocols: [...execSubprotocols],
      headers,
      dispatcher: dispatcher as never,
    });
    socket.binaryType = "arraybuffer";
    const finish = (extra: Partial<ExecOutcome>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", abort);
      if (socket.readyState === WebSocketClass.CONNECTING || socket.readyState === WebSocketClass.OPEN) socket.close();
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        timedOut,
        ...extra,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      finish({ error: `timed out after ${request.timeoutMs / 1000} s` });
    }, request.timeoutMs);
    const abort = () => finish({ error: "abandoned: the runtime is stopping" });
    request.signal?.addEventListener("abort", abort, { once: true });
    socket.addEventListener("open", () => (opened = true));
    socket.addEventListener("message", (event) => {
      if (!(event.data instanceof ArrayBuffer)) return;
      const frame = decodeFrame(new Uint8Array(event.data));
      if (frame?.channel === channels.stdout) stdout.write(frame.payload);
      else if (frame?.channel === channels.stderr) stderr.write(frame.payload);
      else if (frame?.channel === channels.error) status.write(frame.payload);
    });
    socket.addEventListener("close", (event) => {
      if (!opened) return finish({ error: handshakeFailed });
      const text = status.text();
      if (!text) {
        return finish({
          error: `the connection closed before the command's status arrived (code ${event.code}${
            event.reason ? `: ${event.reason}` : ""
          })`,
        });
      }
      const { exitCode, error } = exitStatus(text);
      finish(exitCode === undefined ? { error: clip(error ?? "", maxErrorChars) } : { exitCode });
    });
    socket.addEventListener("error", () => {
      // A close event follows with the details we have; this only covers a socket that never closes.
      if (!opened) setTimeout(() => finish({ error: handshakeFailed }), 1_000);
    });
  });
}

/**
 * A failed WebSocket handshake hides the API server's answer. The same request without an
 * upgrade is checked the same way (pod, container, authorization) and answers with the
 * reason, or with "Upgrade request required" when only the upgrade was the problem.
 */
async function diagnose(client: KubeClient, path: string): Promise<string> {
  try {
    await client.request("POST", path);
    return handshakeFailed;
  } catch (error) {
    return clip((error as Error).message.replace(/^POST \S+: /, ""), maxErrorChars);
  }
}
