// The runtime's spans as data: nothing recorded and nothing kept without a tracer provider,
// then with the SDK's in-memory exporter, one span per watch event shared by every parent it
// queues, links bounded per sync, failures marked, and traceparent in and out. (The real
// exporter and receiver are in test/integration/runtime/tracing.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { propagation, ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Change } from "../../../runtime/cache/informer.ts";
import {
  contextFrom,
  eventSpan,
  maxLinks,
  noTrace,
  PendingLinks,
  traced,
  traceHeaders,
} from "../../../runtime/trace.ts";

const change = (name: string, type: Change["type"] = "added"): Change => ({
  type,
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion: "7" } },
  observedAt: performance.now(),
});

test("with no tracer provider: no event spans, no links kept, no headers", async () => {
  assert.is(eventSpan(change("a")), undefined);
  const links = new PendingLinks();
  links.add("ns/a", eventSpan(change("a")));
  assert.equal(links.take("ns/a"), { links: [], dropped: 0 });
  assert.equal(traceHeaders(noTrace), {});
  assert.is(await traced("work", noTrace, {}, async () => 7), 7);
});

const exporter = new InMemorySpanExporter();

test("with a provider: one span per watch event, whatever number of parents it queues", () => {
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  const event = change("a", "updated");
  const first = eventSpan(event);
  assert.ok(first, "a recorded span context");
  assert.is(eventSpan(event), first, "the same event, the same span");
  const spans = exporter.getFinishedSpans();
  assert.is(spans.length, 1);
  assert.is(spans[0]!.name, "watch updated ConfigMap");
  assert.equal(spans[0]!.attributes["kubefn.object.name"], "a");
  assert.equal(spans[0]!.attributes["kubefn.object.resource_version"], "7");
});

test("links per sync: each event once, at most maxLinks, the rest counted", () => {
  const links = new PendingLinks();
  const event = eventSpan(change("b"));
  links.add("ns/b", event);
  links.add("ns/b", event);
  for (let index = 0; index < maxLinks + 5; index++) links.add("ns/b", eventSpan(change(`b${index}`)));
  const taken = links.take("ns/b");
  assert.is(taken.links.length, maxLinks);
  assert.is(taken.dropped, 6);
  assert.equal(links.take("ns/b"), { links: [], dropped: 0 }, "taking empties it");
});

test("traced(): children under the parent, a throw marks the span failed and still propagates", async () => {
  exporter.reset();
  const error = await traced(
    "outer",
    noTrace,
    { step: "one" },
    (context) => traced("inner", context, {}, () => Promise.reject(new Error("no luck"))),
  ).catch((e: Error) => e);
  assert.is((error as Error).message, "no luck");
  const [inner, outer] = exporter.getFinishedSpans();
  assert.is(inner!.name, "inner");
  assert.is(inner!.parentSpanContext?.spanId, outer!.spanContext().spanId);
  for (const span of [inner!, outer!]) {
    assert.is(span.status.code, SpanStatusCode.ERROR);
    assert.is(span.status.message, "no luck");
    assert.ok(span.events.some((event) => event.name === "exception"));
  }
});

test("traceparent out with the W3C propagator, and back in as the same trace", async () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const headers = await traced("call", noTrace, {}, async (context) => traceHeaders(context));
  const traceparent = headers.traceparent ?? "";
  assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const received = trace.getSpanContext(contextFrom(new Headers(headers)));
  assert.is(`00-${received?.traceId}-${received?.spanId}-01`, traceparent);
  assert.is(trace.getSpanContext(contextFrom(new Headers())), undefined);
  assert.is(trace.getSpanContext(ROOT_CONTEXT), undefined);
});

test.run();
