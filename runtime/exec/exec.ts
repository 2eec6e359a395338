// Runs one command in a pod's container through the pods/exec subresource: a WebSocket to
// the API server speaking channel.k8s.io (v5, else v4), with the kubeconfig's credentials
// and TLS (the same undici dispatcher the REST client uses, so it runs on Node and Deno),
// a deadline, and output kept within a byte budget. It never throws: every way a run can
// end is in the outcome.
import { type HttpMethod, RequestContext } from "@kubernetes/client-node/dist/gen/http/http.js";
import { WebSocket } from "undici";
import type { ActionResult } from "../controller.ts";
import type { KubeClient } from "../kube/client.ts";
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
  let dispatcher: unknown;
  return async (request) => {
    const server = await client.server();
    const path = execPath(request);
    const context = new RequestContext(server + path, "GET" as HttpMethod);
    await (await client.kubeConfig()).applySecurityAuthentication(context);
    dispatcher ??= context.getDispatcher();
    const url = (server + path).replace(/^http/, "ws");
    const outcome = await run(url, { ...context.getHeaders() }, dispatcher, request);
    if (outcome.error === handshakeFailed) outcome.error = await diagnose(client, path);
    return outcome;
  };
}

const handshakeFailed = "the API server refused the exec connection";

function run(
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
    const socket = new WebSocket(url, { protocols: [...execSubprotocols], headers, dispatcher: dispatcher as never });
    socket.binaryType = "arraybuffer";
    const finish = (extra: Partial<ExecOutcome>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", abort);
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
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
