// A few lines of grpc-go (the version the tools module pins) that check the API server's
// edges as a grpc-go user meets them. Each scenario prints one JSON line per step.
//
//	watch   grpc.health.v1.Health/Watch of --service: one step per status until the stream ends
//	invoke  calls --method with a raw request body (--size bytes of zeros after --hex) and
//	        prints the status code and message; --token adds per-RPC bearer credentials
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"time"

	"atomix-controller-ts/test/interop/go/report"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

var (
	address  = flag.String("address", "", "host:port of the server (cleartext)")
	scenario = flag.String("scenario", "watch", "watch | invoke")
	service  = flag.String("service", "", "watch: the service to watch (empty: the server)")
	method   = flag.String("method", "", "invoke: /package.Service/Method")
	body     = flag.String("hex", "", "invoke: the request message, hex-encoded")
	size     = flag.Int("size", 0, "invoke: zero bytes appended to the request message")
	token    = flag.String("token", "", "invoke: a bearer token sent as per-RPC credentials")
	timeout  = flag.Duration("timeout", 60*time.Second, "overall time limit")
)

// raw passes request and response messages through as bytes.
type raw struct{}

func (raw) Marshal(v any) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (raw) Unmarshal(data []byte, v any) error { *(v.(*[]byte)) = append([]byte(nil), data...); return nil }
func (raw) Name() string                       { return "proto" }

// bearer is per-RPC credentials carrying a token, allowed on cleartext for the test.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

func main() {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	options := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if *token != "" {
		options = append(options, grpc.WithPerRPCCredentials(bearer(*token)))
	}
	conn, err := grpc.NewClient(*address, options...)
	if err != nil {
		report.Fail("dial %s: %v", *address, err)
	}
	defer conn.Close()
	switch *scenario {
	case "watch":
		stream, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: *service})
		if err != nil {
			report.Fail("Watch: %v", err)
		}
		for {
			response, err := stream.Recv()
			if err != nil {
				report.Step("end", map[string]any{"code": status.Code(err).String(), "message": status.Convert(err).Message()})
				return
			}
			report.Step("status", map[string]any{"status": response.GetStatus().String()})
		}
	case "invoke":
		request, err := hex.DecodeString(*body)
		if err != nil {
			report.Fail("--hex: %v", err)
		}
		request = append(request, make([]byte, *size)...)
		var response []byte
		err = conn.Invoke(ctx, *method, &request, &response, grpc.ForceCodec(raw{}))
		report.Step("invoke", map[string]any{"code": status.Code(err).String(), "message": status.Convert(err).Message(), "responseBytes": len(response)})
	default:
		report.Fail("unknown scenario %q", *scenario)
	}
}
