// A small gRPC load client for bench/side-by-side.ts: unary GetPartitionGroups (the era-a
// ControllerService stub, github.com/atomix/atomix-api of 2020-01-14) or GetDatabases (the
// DatabaseService stub of github.com/atomix/api v0.3.3, which the v0.4.1 Go client uses) over
// h2c, from 1, 8, 64, ... concurrent callers sharing one connection, as a client would.
// Prints one JSON line per level: calls, errors, calls per second, p50 and p99 in milliseconds.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	controllerapi "github.com/atomix/atomix-api/proto/atomix/controller"
	databaseapi "github.com/atomix/api/proto/atomix/database"
	"google.golang.org/grpc"
)

var (
	address   = flag.String("address", "127.0.0.1:5679", "the controller's gRPC address (h2c)")
	method    = flag.String("method", "GetPartitionGroups", "GetPartitionGroups | GetDatabases")
	namespace = flag.String("namespace", "default", "the namespace whose groups or databases are listed")
	callers   = flag.String("callers", "1,8,64", "comma-separated concurrency levels, run in order")
	seconds   = flag.Float64("seconds", 5, "measured seconds per level")
	warmup    = flag.Float64("warmup", 1, "unmeasured seconds before each level")
	expect    = flag.Int("expect", -1, "the number of groups or databases each answer must list (-1: any)")
)

type level struct {
	Method  string  `json:"method"`
	Callers int     `json:"callers"`
	Calls   int     `json:"calls"`
	Errors  int64   `json:"errors"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"perSecond"`
	P50Ms   float64 `json:"p50Ms"`
	P99Ms   float64 `json:"p99Ms"`
	Error   string  `json:"firstError,omitempty"`
}

func main() {
	flag.Parse()
	conn, err := grpc.Dial(*address, grpc.WithInsecure())
	if err != nil {
		fail("dial %s: %v", *address, err)
	}
	defer conn.Close()
	call, err := caller(conn)
	if err != nil {
		fail("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := call(ctx); err != nil {
		fail("first %s: %v", *method, err)
	}
	cancel()
	for _, text := range strings.Split(*callers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || n < 1 {
			fail("bad --callers entry %q", text)
		}
		run(call, n, time.Duration(*warmup*float64(time.Second)))
		out, _ := json.Marshal(run(call, n, time.Duration(*seconds*float64(time.Second))))
		fmt.Println(string(out))
	}
}

// caller returns one unary call of the chosen method, checking the answer's size.
func caller(conn *grpc.ClientConn) (func(context.Context) error, error) {
	check := func(count int) error {
		if *expect >= 0 && count != *expect {
			return fmt.Errorf("listed %d, expected %d", count, *expect)
		}
		return nil
	}
	switch *method {
	case "GetPartitionGroups":
		client := controllerapi.NewControllerServiceClient(conn)
		request := &controllerapi.GetPartitionGroupsRequest{ID: &controllerapi.PartitionGroupId{Namespace: *namespace}}
		return func(ctx context.Context) error {
			response, err := client.GetPartitionGroups(ctx, request)
			if err != nil {
				return err
			}
			return check(len(response.Groups))
		}, nil
	case "GetDatabases":
		client := databaseapi.NewDatabaseServiceClient(conn)
		request := &databaseapi.GetDatabasesRequest{Namespace: *namespace}
		return func(ctx context.Context) error {
			response, err := client.GetDatabases(ctx, request)
			if err != nil {
				return err
			}
			return check(len(response.Databases))
		}, nil
	}
	return nil, fmt.Errorf("unknown --method %q", *method)
}

// run keeps n callers busy for the duration and returns what they measured.
func run(call func(context.Context) error, n int, duration time.Duration) level {
	var errors int64
	var firstError atomic.Value
	latencies := make([][]time.Duration, n)
	deadline := time.Now().Add(duration)
	started := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				begin := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := call(ctx)
				cancel()
				if err != nil {
					atomic.AddInt64(&errors, 1)
					firstError.CompareAndSwap(nil, err.Error())
					continue
				}
				latencies[i] = append(latencies[i], time.Since(begin))
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(started).Seconds()
	all := []time.Duration{}
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	result := level{Method: *method, Callers: n, Calls: len(all), Errors: errors, Seconds: elapsed, PerSec: float64(len(all)) / elapsed}
	if len(all) > 0 {
		result.P50Ms = quantile(all, 0.5)
		result.P99Ms = quantile(all, 0.99)
	}
	if text, ok := firstError.Load().(string); ok {
		result.Error = text
	}
	return result
}

// quantile is the nearest-rank quantile of sorted latencies, in milliseconds.
func quantile(sorted []time.Duration, q float64) float64 {
	rank := int(q*float64(len(sorted))+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	return float64(sorted[rank].Microseconds()) / 1000
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	os.Exit(1)
}
