// The Kubernetes exec protocol as data (pure): the pods/exec URL, the channel.k8s.io
// subprotocols and their frames (one channel byte, then the payload), the final Status on
// the error channel and the exit code it carries, and output kept within a byte budget.

/** Offered in this order; the API server picks the first it speaks (v5 adds the close channel). */
export const execSubprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

export const channels = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string | undefined;
  command: readonly string[];
}

/** The pods/exec path with its query: the command as repeated `command=`, stdout and stderr, no stdin, no tty. */
export function execPath(target: ExecTarget): string {
  const query = new URLSearchParams();
  for (const part of target.command) query.append("command", part);
  if (target.container) query.set("container", target.container);
  query.set("stdout", "true");
  query.set("stderr", "true");
  return `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${
    encodeURIComponent(target.pod)
  }/exec?${query}`;
}

/** Splits one binary message into its channel and payload; undefined for an empty message. */
export function decodeFrame(data: Uint8Array): { channel: number; payload: Uint8Array } | undefined {
  if (data.length === 0) return undefined;
  return { channel: data[0]!, payload: data.subarray(1) };
}

export interface ExitStatus {
  /** The exit code, when the Status says how the command ended. */
  exitCode?: number;
  /** The Status message when the command did not end normally or its end is not known. */
  error?: string;
}

/**
 * Reads the Status the server sends on the error channel when the command ends:
 * Success is exit code 0; a kubelet reports a non-zero exit as NonZeroExitCode with an
 * ExitCode cause; kwok's kubelet wraps it into an InternalError whose message ends in
 * "exit status N" (the last such number is the code). Anything else is an error.
 */
export function exitStatus(text: string): ExitStatus {
  let status: {
    status?: string;
    reason?: string;
    message?: string;
    details?: { causes?: Array<{ reason?: string; type?: string; message?: string }> };
  };
  try {
    status = JSON.parse(text);
  } catch {
    return { error: `unreadable exec status: ${clip(text, 200)}` };
  }
  if (status?.status === "Success") return { exitCode: 0 };
  const message = typeof status?.message === "string" ? status.message : "the command failed without a message";
  if (status?.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode" || c.type === "ExitCode");
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code >= 0) return { exitCode: code };
  }
  if (status?.reason === "InternalError") {
    const codes = [...message.matchAll(/exit status (\d+)/g)];
    const last = codes.at(-1);
    if (last) return { exitCode: Number(last[1]) };
  }
  return { error: message };
}

/** Keeps the last `limit` bytes written to it, and whether anything was dropped. */
export class OutputTail {
  readonly limit: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  truncated = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // Copy: the caller's buffer may be reused.
    this.#chunks.push(bytes.slice(Math.max(0, bytes.length - this.limit)));
    this.#size += Math.min(bytes.length, this.limit);
    if (bytes.length > this.limit) this.truncated = true;
    while (this.#size > this.limit) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.limit;
      this.truncated = true;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  /** The kept bytes as UTF-8 (a character cut at the start becomes U+FFFD). */
  text(): string {
    const all = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return new TextDecoder().decode(all);
  }
}

/** At most `max` characters, marking a cut with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
