// Drives the controller API with github.com/atomix/go-client v0.1.1, whose database lookups go
// through atomix.controller.ControllerService/GetDatabases. Each step prints one JSON line on
// stdout (`{"step": ...}`); the TypeScript test asserts on them. Setup errors print
// "FAIL: ..." on stderr and exit 1. Every call is bounded by a timeout.
//
// Scenario "databases": client.New, GetDatabases, GetDatabase(--database),
// GetDatabase(--missing), plus the raw ControllerService.GetDatabases response.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"reflect"
	"sort"
	"time"

	"atomix-controller-ts/test/interop/go/report"
	controllerapi "github.com/atomix/api/proto/atomix/controller"
	client "github.com/atomix/go-client/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

var (
	address    = flag.String("address", "", "controller address (host:port)")
	namespace  = flag.String("namespace", "", "Kubernetes namespace of the databases (client.WithNamespace)")
	scenario   = flag.String("scenario", "databases", "databases")
	scope      = flag.String("scope", "interop", "client scope (client.WithScope); not sent by the calls made here")
	database   = flag.String("database", "", "an existing database (ideally one without partitions) for GetDatabase")
	missing    = flag.String("missing", "", "a database name that does not exist")
	rpcTimeout = flag.Duration("rpc-timeout", 15*time.Second, "timeout of each call")
	timeout    = flag.Duration("timeout", 90*time.Second, "overall time limit of the program")
)

// grpcCode returns the gRPC status code of err or of an error it wraps ("" when none has one:
// v0.1.1 reports an empty GetDatabases answer as a plain "unknown database <name>" error).
func grpcCode(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			return s.Code().String()
		}
	}
	return ""
}

func errFields(fields map[string]any, err error) map[string]any {
	fields["error"] = report.ErrText(err)
	fields["code"] = grpcCode(err)
	return fields
}

// partitionCount reads how many partition sessions the client opened for a database (the
// Database type of v0.1.1 exports only Name and Namespace).
func partitionCount(d *client.Database) int {
	field := reflect.ValueOf(d).Elem().FieldByName("sessions")
	if !field.IsValid() {
		return -1
	}
	return field.Len()
}

func describe(d *client.Database) map[string]any {
	return map[string]any{"name": d.Name, "namespace": d.Namespace, "partitions": partitionCount(d)}
}

func main() {
	flag.Parse()
	if *address == "" || *namespace == "" {
		report.Fail("--address and --namespace are required")
	}
	if *scenario != "databases" {
		report.Fail("unknown scenario %q", *scenario)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var c *client.Client
	err, panicked := report.Guard(func() error {
		var err error
		c, err = client.New(*address, client.WithNamespace(*namespace), client.WithScope(*scope))
		return err
	})
	report.Step("New", errFields(map[string]any{"panic": panicked}, err))
	if err != nil {
		report.Fail("client.New: %v", err)
	}
	defer c.Close()

	call := func(f func(ctx context.Context) error) (error, string, time.Duration) {
		callCtx, cancel := context.WithTimeout(ctx, *rpcTimeout)
		defer cancel()
		start := time.Now()
		err, panicked := report.Guard(func() error { return f(callCtx) })
		return err, panicked, time.Since(start)
	}

	rawDatabases(ctx)

	var all []*client.Database
	err, panicked, elapsed := call(func(ctx context.Context) error {
		var err error
		all, err = c.GetDatabases(ctx)
		return err
	})
	list := []map[string]any{}
	for _, d := range all {
		list = append(list, describe(d))
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["name"].(string) < list[j]["name"].(string) })
	report.Step("GetDatabases", errFields(map[string]any{"databases": list, "elapsedMs": elapsed.Milliseconds(), "panic": panicked}, err))

	lookup := func(stepName, name string) {
		var d *client.Database
		err, panicked, elapsed := call(func(ctx context.Context) error {
			var err error
			d, err = c.GetDatabase(ctx, name)
			return err
		})
		fields := map[string]any{"requested": name, "elapsedMs": elapsed.Milliseconds(), "panic": panicked, "found": d != nil}
		if d != nil {
			for k, v := range describe(d) {
				fields[k] = v
			}
		}
		report.Step(stepName, errFields(fields, err))
	}
	if *database != "" {
		lookup("GetDatabase", *database)
	}
	if *missing != "" {
		lookup("GetDatabase-missing", *missing)
	}
}

// rawDatabases lists the databases with the ControllerService stub v0.1.1 uses, reporting the
// partitions and endpoints as sent (the client itself opens a session to every partition).
func rawDatabases(ctx context.Context) {
	callCtx, cancel := context.WithTimeout(ctx, *rpcTimeout)
	defer cancel()
	conn, err := grpc.DialContext(callCtx, *address, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		report.Step("GetDatabases-raw", errFields(map[string]any{"databases": []any{}}, err))
		return
	}
	defer conn.Close()
	response, err := controllerapi.NewControllerServiceClient(conn).GetDatabases(callCtx, &controllerapi.GetDatabasesRequest{
		ID: &controllerapi.DatabaseId{Namespace: *namespace},
	})
	list := []map[string]any{}
	for _, d := range response.GetDatabases() {
		partitions := []map[string]any{}
		for _, p := range d.GetPartitions() {
			endpoints := []string{}
			for _, e := range p.GetEndpoints() {
				endpoints = append(endpoints, fmt.Sprintf("%s:%d", e.GetHost(), e.GetPort()))
			}
			partitions = append(partitions, map[string]any{"partition": p.GetPartitionID(), "endpoints": endpoints})
		}
		list = append(list, map[string]any{"name": d.GetID().GetName(), "namespace": d.GetID().GetNamespace(), "hasId": d.GetID() != nil, "partitions": partitions})
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["name"].(string) < list[j]["name"].(string) })
	report.Step("GetDatabases-raw", errFields(map[string]any{"databases": list}, err))
}
