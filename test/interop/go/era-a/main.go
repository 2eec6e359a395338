// Drives the Atomix controller API with the era-a Go client (atomix-go-client, January 2020)
// and its generated ControllerService stub. Each scenario prints one JSON line per step to
// stdout; the TypeScript test asserts on those lines. A failed expectation exits with status 1.
package main

import (
	"context"
	"flag"
	"sort"
	"strings"
	"sync"
	"time"

	"atomix-controller-ts/test/interop/go/report"
	"atomix-controller-ts/test/interop/go/tokenproxy"
	controllerapi "github.com/atomix/atomix-api/proto/atomix/controller"
	raft "github.com/atomix/atomix-api/proto/atomix/protocols/raft"
	client "github.com/atomix/atomix-go-client/pkg/client"
	"google.golang.org/grpc"
)

var (
	addresses = flag.String("addresses", "", "comma-separated controller addresses (host:port); election candidates are spread over them")
	namespace = flag.String("namespace", "", "the namespace of the partition groups")
	scenario  = flag.String("scenario", "groups", "groups | election")
	group     = flag.String("group", "raft", "the partition group name")
	token     = flag.String("token", "", "a bearer token for the controller (--api-auth=kubernetes), sent as per-RPC credentials through tokenproxy")
)

func main() {
	flag.Parse()
	list := strings.Split(*addresses, ",")
	if *addresses == "" || *namespace == "" {
		report.Fail("--addresses and --namespace are required")
	}
	if *token != "" {
		for i, address := range list {
			proxied, stop, err := tokenproxy.Start(address, *token)
			if err != nil {
				report.Fail("tokenproxy for %s: %v", address, err)
			}
			defer stop()
			list[i] = proxied
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	switch *scenario {
	case "groups":
		groups(ctx, list[0])
	case "election":
		election(ctx, list)
	default:
		report.Fail("unknown scenario %q", *scenario)
	}
}

func describe(g *client.PartitionGroup) map[string]any {
	return map[string]any{"namespace": g.Namespace, "name": g.Name, "partitions": g.Partitions, "partitionSize": g.PartitionSize}
}

// groups: NewClient, GetGroups, GetGroup (missing), CreateGroup, GetGroup, GetGroups,
// DeleteGroup, GetGroup (missing again).
func groups(ctx context.Context, address string) {
	c, err := client.NewClient(address, client.WithNamespace(*namespace), client.WithApplication("interop"))
	if err != nil {
		report.Fail("NewClient: %v", err)
	}
	defer c.Close()

	all, err := c.GetGroups(ctx)
	report.Step("GetGroups", map[string]any{"count": len(all), "error": report.ErrText(err)})

	_, err = c.GetGroup(ctx, *group)
	report.Step("GetGroup-missing", map[string]any{"error": report.ErrText(err)})

	created, err := c.CreateGroup(ctx, *group, 3, 1, &raft.RaftProtocol{})
	fields := map[string]any{"error": report.ErrText(err)}
	if created != nil {
		fields["group"] = describe(created)
	}
	report.Step("CreateGroup", fields)

	got, err := c.GetGroup(ctx, *group)
	fields = map[string]any{"error": report.ErrText(err)}
	if got != nil {
		fields["group"] = describe(got)
	}
	report.Step("GetGroup", fields)

	all, err = c.GetGroups(ctx)
	names := []map[string]any{}
	for _, g := range all {
		names = append(names, describe(g))
	}
	report.Step("GetGroups-after-create", map[string]any{"count": len(all), "groups": names, "error": report.ErrText(err)})

	err = c.DeleteGroup(ctx, *group)
	report.Step("DeleteGroup", map[string]any{"error": report.ErrText(err)})

	_, err = c.GetGroup(ctx, *group)
	report.Step("GetGroup-after-delete", map[string]any{"error": report.ErrText(err)})
}

type term struct {
	Term       int64    `json:"term"`
	Primary    string   `json:"primary"`
	Candidates []string `json:"candidates"`
}

type candidate struct {
	member string
	cancel context.CancelFunc
	mu     sync.Mutex
	terms  []term
	done   chan struct{}
}

func (c *candidate) last() (term, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.terms) == 0 {
		return term{}, false
	}
	return c.terms[len(c.terms)-1], true
}

func enter(ctx context.Context, conn *grpc.ClientConn, member string) *candidate {
	streamCtx, cancel := context.WithCancel(ctx)
	c := &candidate{member: member, cancel: cancel, done: make(chan struct{})}
	stub := controllerapi.NewControllerServiceClient(conn)
	stream, err := stub.EnterElection(streamCtx, &controllerapi.PartitionElectionRequest{
		PartitionID: &controllerapi.PartitionId{Partition: 1, Group: &controllerapi.PartitionGroupId{Name: *group, Namespace: *namespace}},
		Member:      member,
	})
	if err != nil {
		report.Fail("EnterElection(%s): %v", member, err)
	}
	go func() {
		defer close(c.done)
		for {
			response, err := stream.Recv()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.terms = append(c.terms, term{Term: response.Term.Term, Primary: response.Term.Primary, Candidates: response.Term.Candidates})
			c.mu.Unlock()
		}
	}()
	return c
}

func waitFor(ctx context.Context, what string, ok func() bool) {
	for !ok() {
		select {
		case <-ctx.Done():
			report.Fail("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// election: three candidates in order (spread over the addresses); the first is primary at
// term 1; its stream ends; the second is primary at term 2; each remaining stream saw each term.
func election(ctx context.Context, list []string) {
	conns := []*grpc.ClientConn{}
	for _, address := range list {
		conn, err := grpc.Dial(address, grpc.WithInsecure())
		if err != nil {
			report.Fail("Dial %s: %v", address, err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	candidates := []*candidate{}
	for i, member := range []string{"member-1", "member-2", "member-3"} {
		c := enter(ctx, conns[i%len(conns)], member)
		waitFor(ctx, member+" to see itself a candidate", func() bool {
			t, ok := c.last()
			return ok && len(t.Candidates) == i+1
		})
		candidates = append(candidates, c)
	}
	waitFor(ctx, "every candidate to see three candidates", func() bool {
		for _, c := range candidates {
			if t, ok := c.last(); !ok || len(t.Candidates) != 3 {
				return false
			}
		}
		return true
	})
	for _, c := range candidates {
		t, _ := c.last()
		report.Step("term-1", map[string]any{"member": c.member, "term": t})
	}

	candidates[0].cancel()
	<-candidates[0].done
	waitFor(ctx, "term 2 on the remaining streams", func() bool {
		for _, c := range candidates[1:] {
			if t, ok := c.last(); !ok || t.Term < 2 {
				return false
			}
		}
		return true
	})
	for _, c := range candidates[1:] {
		c.mu.Lock()
		seen := map[int64]bool{}
		for _, t := range c.terms {
			seen[t.Term] = true
		}
		c.mu.Unlock()
		terms := []int64{}
		for t := range seen {
			terms = append(terms, t)
		}
		sort.Slice(terms, func(i, j int) bool { return terms[i] < terms[j] })
		t, _ := c.last()
		report.Step("term-2", map[string]any{"member": c.member, "term": t, "termsSeen": terms})
		c.cancel()
	}
}
