// Tracing through @opentelemetry/api. The runtime only makes spans; exporting them is the
// program's choice: with no tracer provider registered (the SDK's NodeSDK or
// BasicTracerProvider.register()), every call here is the API's no-op and costs next to
// nothing. The spans of one sync:
//   watch <type> <Kind>   one per watch event that queued a parent (a link, not a parent: an
//                         event can queue many parents, a parent many events)
//   sync <controller>     the sync, linked to the events that queued it
//     call sync|finalize|related   the function, in-process or remote (traceparent sent)
//     apply|delete <Kind>          each child write
//     status|metadata|finalizer    each write to the parent
//     action <id>                  each pod command the answer asked for, when it runs
import {
  type Attributes,
  type Context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import type { Change } from "./cache/informer.ts";

export type { Context as TraceContext } from "@opentelemetry/api";

/** The instrumentation scope of the runtime's spans. */
export const tracerName = "@kubefn/runtime";

/** Links one sync span keeps; events beyond that are counted in kubefn.links.dropped. */
export const maxLinks = 32;

const tracer: Tracer = trace.getTracer(tracerName);

/** The root context: a sync starts a trace of its own. */
export const noTrace: Context = ROOT_CONTEXT;

/** One span per watch event, made the first time the event queues a parent, shared by every parent it queues. */
const eventSpans = new WeakMap<Change, SpanContext | null>();

/** The span context of a watch event that queued a parent, or undefined when nothing records spans. */
export function eventSpan(change: Change): SpanContext | undefined {
  let context = eventSpans.get(change);
  if (context === undefined) {
    const { metadata, kind, apiVersion } = change.object;
    const span = tracer.startSpan(`watch ${change.type} ${kind}`, {
      kind: SpanKind.CONSUMER,
      startTime: performance.timeOrigin + change.observedAt,
      attributes: {
        "kubefn.event.type": change.type,
        "kubefn.object.kind": kind,
        "kubefn.object.api_version": apiVersion,
        "kubefn.object.name": metadata.name,
        ...(metadata.namespace ? { "k8s.namespace.name": metadata.namespace } : {}),
        ...(metadata.resourceVersion ? { "kubefn.object.resource_version": metadata.resourceVersion } : {}),
      },
    }, ROOT_CONTEXT);
    context = span.isRecording() ? span.spanContext() : null;
    span.end();
    eventSpans.set(change, context);
  }
  return context ?? undefined;
}

/** The watch events that queued each parent since its last sync started. */
export class PendingLinks {
  readonly #links = new Map<string, { links: Link[]; dropped: number }>();

  add(key: string, event: SpanContext | undefined): void {
    if (!event) return;
    let entry = this.#links.get(key);
    if (!entry) this.#links.set(key, entry = { links: [], dropped: 0 });
    if (entry.links.some((link) => link.context.spanId === event.spanId)) return;
    if (entry.links.length < maxLinks) entry.links.push({ context: event });
    else entry.dropped++;
  }

  /** Takes the key's links (a sync starting). */
  take(key: string): { links: Link[]; dropped: number } {
    const entry = this.#links.get(key) ?? { links: [], dropped: 0 };
    this.#links.delete(key);
    return entry;
  }
}

/** Starts a span under `parent`; the caller ends it. */
export function startSpan(
  name: string,
  parent: Context,
  attributes: Attributes = {},
  options: { kind?: SpanKind; links?: Link[] } = {},
): Span {
  return tracer.startSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL, links: options.links }, parent);
}

/** The context of a span's children. */
export function under(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

/** Marks the span failed with the error and records it as the span's exception event. */
export function failed(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/** Marks the span failed with a message, for an outcome that is not a throw (a command's exit code). */
export function failedWith(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Runs `work` in a child span of `parent`, ending it (failed, if `work` throws) when it settles. */
export async function traced<T>(
  name: string,
  parent: Context,
  attributes: Attributes,
  work: (context: Context, span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const span = startSpan(name, parent, attributes, { kind });
  try {
    return await work(under(parent, span), span);
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The headers that carry the context to a remote hook (traceparent and tracestate with the W3C propagator). */
export function traceHeaders(context: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context, headers);
  return headers;
}

/** The context a remote caller sent in its request headers. */
export function contextFrom(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, {
    keys: (carrier) => [...carrier.keys()],
    get: (carrier, key) => carrier.get(key) ?? undefined,
  });
}

export { SpanKind };
