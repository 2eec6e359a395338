// Drives the controller API with github.com/atomix/go-client v0.4.1 (DatabaseService,
// MembershipService and PrimitiveService era). Each scenario prints one JSON line per step on
// stdout (`{"step": ...}`); the TypeScript test asserts on them. Setup errors print
// "FAIL: ..." on stderr and exit 1. Every call is bounded by a timeout.
//
// Scenarios:
//
//	databases  client.New (observer JoinGroup), GetDatabases, GetDatabase, GetDatabase of a
//	           missing name, Database.GetPrimitives (with and without a type option)
//	member     client.New with a member ID: joins the group as a member and stays joined until
//	           --duration (or --timeout) elapses or the process is signalled / killed
//	observer   client.New without a member ID, then Group().Watch: prints the member list every
//	           time it changes
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"atomix-controller-ts/test/interop/go/report"
	"atomix-controller-ts/test/interop/go/tokenproxy"
	databaseapi "github.com/atomix/api/proto/atomix/database"
	client "github.com/atomix/go-client/pkg/client"
	"github.com/atomix/go-client/pkg/client/peer"
	"github.com/atomix/go-client/pkg/client/primitive"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

var (
	address       = flag.String("address", "", "controller address (host:port)")
	namespace     = flag.String("namespace", "", "Kubernetes namespace of the databases (client.WithNamespace); also the membership group namespace")
	scenario      = flag.String("scenario", "databases", "databases | member | observer")
	scope         = flag.String("scope", "interop", "client scope (client.WithScope): the membership group name and the primitive namespace")
	database      = flag.String("database", "", "databases: an existing database (ideally one without partitions) for GetDatabase and GetPrimitives")
	missing       = flag.String("missing", "", "databases: a database name that does not exist")
	primitiveType = flag.String("type", "Map", "databases: the primitive.Type passed to GetPrimitives(ctx, primitive.WithPrimitiveType(...))")
	member        = flag.String("member", "", "member: the member ID (a pod name)")
	peerHost      = flag.String("peer-host", "", "member: the advertised peer host (default: the member ID, as the client does)")
	peerPort      = flag.Int("peer-port", 0, "member: the peer port the client listens on and advertises (0: pick a free port)")
	joinTimeout   = flag.Duration("join-timeout", 10*time.Second, "client.WithJoinTimeout: bounds dialing and the first JoinGroup response")
	rpcTimeout    = flag.Duration("rpc-timeout", 15*time.Second, "databases: timeout of each client call")
	duration      = flag.Duration("duration", 0, "member/observer: how long to stay joined (0: until --timeout)")
	timeout       = flag.Duration("timeout", 90*time.Second, "overall time limit of the program")
	token         = flag.String("token", "", "a bearer token for the controller (--api-auth=kubernetes), sent as per-RPC credentials through tokenproxy")
)

// grpcCode returns the gRPC status code of err or of the first error in its Unwrap chain that
// carries one ("" when none does; v0.4.1 returns the gRPC error of the stub unwrapped).
func grpcCode(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			return s.Code().String()
		}
	}
	return ""
}

// errFields describes an error: its text, its gRPC code, and a panic raised by the client.
func errFields(fields map[string]any, err error) map[string]any {
	fields["error"] = report.ErrText(err)
	fields["code"] = grpcCode(err)
	return fields
}

func main() {
	flag.Parse()
	if *address == "" || *namespace == "" {
		report.Fail("--address and --namespace are required")
	}
	if *token != "" {
		proxied, stop, err := tokenproxy.Start(*address, *token)
		if err != nil {
			report.Fail("tokenproxy for %s: %v", *address, err)
		}
		defer stop()
		*address = proxied
	}
	lifetime := *timeout
	if (*scenario == "member" || *scenario == "observer") && *duration > 0 && *duration < lifetime {
		lifetime = *duration
	}
	ctx, cancel := context.WithTimeout(context.Background(), lifetime)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	switch *scenario {
	case "databases":
		databases(ctx)
	case "member":
		if *member == "" {
			report.Fail("--member is required")
		}
		membership(ctx, *member)
	case "observer":
		membership(ctx, "")
	default:
		report.Fail("unknown scenario %q", *scenario)
	}
}

func baseOptions() []client.Option {
	return []client.Option{
		client.WithNamespace(*namespace),
		client.WithScope(*scope),
		client.WithJoinTimeout(*joinTimeout),
	}
}

func newClient(opts []client.Option) (*client.Client, error, string, time.Duration) {
	start := time.Now()
	var c *client.Client
	err, panicked := report.Guard(func() error {
		var err error
		c, err = client.New(*address, opts...)
		return err
	})
	return c, err, panicked, time.Since(start)
}

func databases(ctx context.Context) {
	c, err, panicked, elapsed := newClient(baseOptions())
	report.Step("New", errFields(map[string]any{"elapsedMs": elapsed.Milliseconds(), "panic": panicked}, err))
	if err != nil {
		report.Fail("client.New: %v", err)
	}

	rawDatabases(ctx)

	call := func(f func(ctx context.Context) error) (error, string, time.Duration) {
		callCtx, cancel := context.WithTimeout(ctx, *rpcTimeout)
		defer cancel()
		start := time.Now()
		err, panicked := report.Guard(func() error { return f(callCtx) })
		return err, panicked, time.Since(start)
	}

	var all []*client.Database
	err, panicked, elapsed = call(func(ctx context.Context) error {
		var err error
		all, err = c.GetDatabases(ctx)
		return err
	})
	names := []string{}
	for _, d := range all {
		names = append(names, d.Namespace+"/"+d.Name)
	}
	sort.Strings(names)
	report.Step("GetDatabases", errFields(map[string]any{"databases": names, "elapsedMs": elapsed.Milliseconds(), "panic": panicked}, err))

	var db *client.Database
	if *database != "" {
		err, panicked, elapsed = call(func(ctx context.Context) error {
			var err error
			db, err = c.GetDatabase(ctx, *database)
			return err
		})
		fields := map[string]any{"requested": *database, "elapsedMs": elapsed.Milliseconds(), "panic": panicked}
		if db != nil {
			fields["name"] = db.Name
			fields["namespace"] = db.Namespace
		}
		report.Step("GetDatabase", errFields(fields, err))
	}

	if *missing != "" {
		var got *client.Database
		err, panicked, elapsed = call(func(ctx context.Context) error {
			var err error
			got, err = c.GetDatabase(ctx, *missing)
			return err
		})
		fields := map[string]any{"requested": *missing, "elapsedMs": elapsed.Milliseconds(), "panic": panicked, "found": got != nil}
		report.Step("GetDatabase-missing", errFields(fields, err))
	}

	if db != nil {
		getPrimitives := func(name string, opts ...primitive.MetadataOption) {
			var list []primitive.Metadata
			err, panicked, elapsed := call(func(ctx context.Context) error {
				var err error
				list, err = db.GetPrimitives(ctx, opts...)
				return err
			})
			entries := []map[string]any{}
			for _, p := range list {
				entries = append(entries, map[string]any{"name": p.Name.Name, "scope": p.Name.Scope, "type": string(p.Type)})
			}
			sort.Slice(entries, func(i, j int) bool {
				a, b := entries[i], entries[j]
				if a["scope"] != b["scope"] {
					return a["scope"].(string) < b["scope"].(string)
				}
				if a["name"] != b["name"] {
					return a["name"].(string) < b["name"].(string)
				}
				return a["type"].(string) < b["type"].(string)
			})
			report.Step(name, errFields(map[string]any{"database": db.Name, "primitives": entries, "elapsedMs": elapsed.Milliseconds(), "panic": panicked}, err))
		}
		getPrimitives("GetPrimitives")
		// v0.4.1 accepts this option but never copies it into the request.
		getPrimitives("GetPrimitives-type", primitive.WithPrimitiveType(primitive.Type(*primitiveType)))
	} else if *database != "" {
		report.Step("GetPrimitives", map[string]any{"error": "skipped: GetDatabase failed", "code": "", "primitives": []any{}})
	}

	closeClient(c)
}

// rawDatabases lists the databases with the DatabaseService stub of the API module v0.4.1
// uses, on its own connection without the client's retrying interceptors, so the response is
// reported even when the client cannot open sessions to the partitions.
func rawDatabases(ctx context.Context) {
	callCtx, cancel := context.WithTimeout(ctx, *rpcTimeout)
	defer cancel()
	conn, err := grpc.DialContext(callCtx, *address, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		report.Step("GetDatabases-raw", errFields(map[string]any{"databases": []any{}}, err))
		return
	}
	defer conn.Close()
	response, err := databaseapi.NewDatabaseServiceClient(conn).GetDatabases(callCtx, &databaseapi.GetDatabasesRequest{Namespace: *namespace})
	list := []map[string]any{}
	if response != nil {
		for _, d := range response.Databases {
			partitions := []map[string]any{}
			for _, p := range d.Partitions {
				endpoints := []string{}
				for _, e := range p.Endpoints {
					endpoints = append(endpoints, fmt.Sprintf("%s:%d", e.Host, e.Port))
				}
				partitions = append(partitions, map[string]any{"partition": p.PartitionID.Partition, "endpoints": endpoints})
			}
			list = append(list, map[string]any{"name": d.ID.Name, "namespace": d.ID.Namespace, "partitions": partitions})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["name"].(string) < list[j]["name"].(string) })
	report.Step("GetDatabases-raw", errFields(map[string]any{"databases": list}, err))
}

// closeClient closes the client's database connection. It does not call Group().Close(): see
// membership for why; the JoinGroup stream ends when the process exits.
func closeClient(c *client.Client) {
	err, panicked := report.Guard(func() error { return c.Close() })
	report.Step("Close", map[string]any{"error": report.ErrText(err), "panic": panicked})
}

func freePort() int {
	lis, err := net.Listen("tcp", ":0")
	if err != nil {
		report.Fail("finding a free port: %v", err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	_ = lis.Close()
	return port
}

// snapshot copies the member IDs of a peer set, sorted.
func snapshot(set peer.Set) []string {
	names := make([]string, 0, len(set))
	for id := range set {
		names = append(names, string(id))
	}
	sort.Strings(names)
	return names
}

// membership joins the group as memberID (or as an observer when memberID is ""), reports
// every change of the member list it sees, and stays until ctx ends.
func membership(ctx context.Context, memberID string) {
	opts := baseOptions()
	fields := map[string]any{"member": memberID, "scope": *scope, "namespace": *namespace}
	if memberID != "" {
		host := *peerHost
		if host == "" {
			host = memberID
		}
		port := *peerPort
		if port == 0 {
			// The client listens on ":<port>" (default 8080) and, if that fails, silently
			// skips JoinGroup; a free port keeps several members on one host apart.
			port = freePort()
		}
		// WithPeerHost after WithMemberID: the member ID option only sets the host when unset.
		opts = append(opts, client.WithMemberID(memberID), client.WithPeerHost(host), client.WithPeerPort(port))
		fields["host"] = host
		fields["port"] = port
	}

	c, err, panicked, elapsed := newClient(opts)
	fields["elapsedMs"] = elapsed.Milliseconds()
	fields["panic"] = panicked
	fields["error"] = report.ErrText(err)
	fields["code"] = grpcCode(err)
	if err != nil {
		report.Step("join-failed", fields)
		report.Fail("client.New: %v", err)
	}
	group := c.Group()
	fields["members"] = snapshot(group.Peers())
	if memberID != "" {
		report.Step("joined", fields)
	} else {
		report.Step("observing", fields)
	}

	updates := make(chan peer.Set)
	// Not cancelled before exit: cancelling Watch while the client delivers an update can block.
	if err := group.Watch(context.Background(), updates); err != nil {
		report.Fail("Watch: %v", err)
	}
	var last []string
	notifications := 0
	for {
		select {
		case set := <-updates:
			members := snapshot(set)
			notifications++
			if last == nil || strings.Join(last, "\x00") != strings.Join(members, "\x00") || len(last) != len(members) {
				report.Step("members", map[string]any{"members": members, "notifications": notifications})
				last = members
			}
		case <-ctx.Done():
			reason := "deadline"
			if errors.Is(ctx.Err(), context.Canceled) {
				reason = "signal"
			}
			// Leave by exiting: the kernel closes the connections and the server sees the
			// JoinGroup stream end. Group.Close in v0.4.1 cancels the stream, but the client's
			// retrying stream interceptor then re-opens JoinGroup (resending the request) once a
			// second, which would make the member flap instead of leaving.
			report.Step("left", map[string]any{"reason": reason, "notifications": notifications})
			return
		}
	}
}
