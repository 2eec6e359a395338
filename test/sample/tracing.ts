// What a program does to export the runtime's spans: register an OpenTelemetry SDK (here the
// plain TracerProvider with the OTLP/HTTP protobuf exporter) and the W3C propagator with the
// API before anything syncs. The runtime itself depends only on @opentelemetry/api.
//   node --import ./test/sample/tracing.ts <program>   (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME)
import { propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

const url = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
if (!url) {
  throw new Error("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must name the receiver, e.g. http://127.0.0.1:4318/v1/traces");
}

const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME ?? "kubefn-program" }),
  // A short delay so a test sees spans soon after they end.
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 100 })],
});
trace.setGlobalTracerProvider(provider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
