// Package tokenproxy gives a bearer token to Atomix Go clients that cannot take one: their
// constructors dial the controller themselves with no dial options, and v0.4.1 opens its
// JoinGroup stream on a context of its own. Start listens on loopback and forwards every
// call, byte for byte and in both directions, to the controller over a connection that sends
// the token as gRPC per-RPC credentials; the client is pointed at the returned address.
// It uses only grpc-go APIs present from v1.23 (era a) on.
package tokenproxy

import (
	"context"
	"io"
	"net"

	"google.golang.org/grpc"
)

// frame is one message, passed through unparsed.
type frame struct{ data []byte }

type raw struct{}

func (raw) Marshal(v interface{}) ([]byte, error) { return v.(*frame).data, nil }
func (raw) Unmarshal(data []byte, v interface{}) error {
	v.(*frame).data = append([]byte(nil), data...)
	return nil
}
func (raw) Name() string   { return "proto" }
func (raw) String() string { return "proto" }

// bearer sends the token with every call; the test controller serves cleartext.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

var anyStream = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}

// Start forwards calls made to the returned address to target with the token; stop ends it.
func Start(target, token string) (address string, stop func(), err error) {
	upstream, err := grpc.Dial(target, grpc.WithInsecure(), grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		return "", nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	server := grpc.NewServer(grpc.CustomCodec(raw{}), grpc.UnknownServiceHandler(func(_ interface{}, downstream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(downstream)
		ctx, cancel := context.WithCancel(downstream.Context())
		defer cancel()
		call, err := upstream.NewStream(ctx, anyStream, method, grpc.CallCustomCodec(raw{}))
		if err != nil {
			return err
		}
		go func() {
			for {
				f := &frame{}
				if err := downstream.RecvMsg(f); err != nil {
					call.CloseSend()
					return
				}
				if call.SendMsg(f) != nil {
					return
				}
			}
		}()
		for {
			f := &frame{}
			err := call.RecvMsg(f)
			downstream.SetTrailer(call.Trailer())
			if err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if err := downstream.SendMsg(f); err != nil {
				return err
			}
		}
	}))
	go server.Serve(listener)
	return listener.Addr().String(), func() { server.Stop(); upstream.Close() }, nil
}
