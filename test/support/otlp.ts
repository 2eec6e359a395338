// A real OTLP receiver for the tracing tests: test/interop/go/otlp, the OpenTelemetry
// Collector's own otlpreceiver (gRPC and HTTP, protobuf and JSON), printing each batch it
// accepts as a line of OTLP JSON. Built once into the cache like the other Go programs.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { buildGoProgram } from "./goclient.ts";

/** One span as the receiver decoded it, flattened for assertions. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  events: string[];
  /** When the span started and ended, in milliseconds since the Unix epoch (fractional). */
  startMs: number;
  endMs: number;
}

export interface OtlpReceiver {
  /** Where to send OTLP/HTTP traces (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  httpTracesUrl: string;
  /** Every span received so far. */
  spans(): ReceivedSpan[];
  stop(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

function valueOf(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  return JSON.stringify(value);
}

const attributesOf = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));

/** The spans of one line of OTLP JSON (an ExportTraceServiceRequest). */
export function spansOfLine(line: string): ReceivedSpan[] {
  const request = JSON.parse(line) as {
    resourceSpans?: Array<{
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: Array<{ spans?: Array<Record<string, any>> }>;
    }>;
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(attributesOf(resourceSpans.resource?.attributes)["service.name"] ?? "");
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: span.kind ?? 0,
        attributes: attributesOf(span.attributes),
        links: (span.links ?? []).map((link: { traceId: string; spanId: string }) => ({
          traceId: link.traceId,
          spanId: link.spanId,
        })),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
        events: (span.events ?? []).map((event: { name: string }) => event.name),
        startMs: nanosToMs(span.startTimeUnixNano),
        endMs: nanosToMs(span.endTimeUnixNano),
      }))
    );
  });
}

/** OTLP JSON sends nanoseconds as a decimal string (too large for a double's integer range). */
function nanosToMs(nanos: string | number | undefined): number {
  if (nanos === undefined) return NaN;
  const text = String(nanos);
  return Number(text.slice(0, -6) || "0") + Number(text.slice(-6)) / 1e6;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const binary = await buildGoProgram("otlp");
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const args = [`-grpc=127.0.0.1:${grpcPort}`, `-http=127.0.0.1:${httpPort}`];
  // With setpriv, the receiver dies with the test process even when that is killed outright.
  const [program, programArgs] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", binary, ...args]]
    : [binary, args];
  const child = spawn(program, programArgs, {
    cwd: tmpdir(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const received: ReceivedSpan[] = [];
  let pending = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      received.push(...spansOfLine(pending.slice(0, newline)));
      pending = pending.slice(newline + 1);
    }
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (stderr.includes("listening")) resolve();
    });
    void exited.then(() => reject(new Error(`the OTLP receiver exited: ${stderr}`)));
  });
  return {
    httpTracesUrl: `http://127.0.0.1:${httpPort}/v1/traces`,
    spans: () => [...received],
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
