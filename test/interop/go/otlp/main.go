// A trace receiver for the tracing tests: the OpenTelemetry Collector's own OTLP receiver
// (gRPC and HTTP), with a consumer that prints every batch it accepts as one line of OTLP
// JSON on stdout. The tests read those lines; nothing here decodes OTLP by hand.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func main() {
	grpcEndpoint := flag.String("grpc", "127.0.0.1:4317", "where OTLP/gRPC is served")
	httpEndpoint := flag.String("http", "127.0.0.1:4318", "where OTLP/HTTP is served")
	flag.Parse()

	factory := otlpreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC.GetOrInsertDefault().NetAddr.Endpoint = *grpcEndpoint
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = *httpEndpoint

	var mu sync.Mutex
	marshaler := &ptrace.JSONMarshaler{}
	sink, err := consumer.NewTraces(func(_ context.Context, traces ptrace.Traces) error {
		line, err := marshaler.MarshalTraces(traces)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		_, err = fmt.Fprintf(os.Stdout, "%s\n", line)
		return err
	})
	if err != nil {
		fail(err)
	}
	settings := receivertest.NewNopSettings(factory.Type())
	receiver, err := factory.CreateTraces(context.Background(), settings, cfg, sink)
	if err != nil {
		fail(err)
	}
	if err := receiver.Start(context.Background(), componentHost{}); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "listening grpc=%s http=%s\n", *grpcEndpoint, *httpEndpoint)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	if err := receiver.Shutdown(context.Background()); err != nil {
		fail(err)
	}
}

type componentHost struct{}

func (componentHost) GetExtensions() map[component.ID]component.Component { return nil }

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
