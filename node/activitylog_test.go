package node_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/version"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// Real peers log, at info, members connecting and leaving and the blocks
// they seal and store, and warn once a peer has been alone for a while.
func TestActivityIsLogged(t *testing.T) {
	var logs syncBuffer
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "activity-test", Members: devnet.DefaultMembers[:3],
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Tune:   func(_ int, o *node.Options) { o.LogEvery, o.AloneAfter = 200*time.Millisecond, 500*time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Stop() })
	var recs []records.Record
	for i := range 50 {
		recs = append(recs, records.SamplePayment("tax", i, 10))
	}
	if errs, err := net.Node(0).Submit(context.Background(), recs); err != nil || errs[0] != nil {
		t.Fatalf("submit: %v %v", err, errs)
	}
	if err := net.WaitInSync(withTimeout(t, 30*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	tax := `member="Shenzhen Tax Bureau"`
	has := func(parts ...string) func() bool {
		return func() bool {
			for _, l := range strings.Split(logs.String(), "\n") {
				if all(l, parts) {
					return true
				}
			}
			return false
		}
	}
	waitUntil(t, "the tax bureau logs a member connected", has("level=INFO", `msg="member connected"`, tax, `name="Pearl River Bank"`))
	// The agent string names the build.
	bank := net.Node(1).PeerID()
	waitUntil(t, "the tax bureau knows the bank's agent string", func() bool {
		av, err := net.Node(0).Network().Host().Peerstore().Get(bank, "AgentVersion")
		return err == nil && av == "credmesh/"+version.String()
	})
	waitUntil(t, "the tax bureau logs its sealed block", has("level=INFO", `msg="sealed block"`, tax))
	waitUntil(t, "the bank logs the stored block", has("level=INFO", `msg="stored block"`, `member="Pearl River Bank"`, `chain="Shenzhen Tax Bureau"`))

	for _, i := range []int{2, 1} {
		if err := net.StopPeer(i); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the tax bureau logs a member leaving", has("level=INFO", `msg="member disconnected"`, tax, `name="Pearl River Bank"`))
	waitUntil(t, "the tax bureau warns it is alone", has("level=WARN", `msg="alone: no member connected`, tax, "members=2"))
	if err := net.StartPeer(1); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the tax bureau logs it is no longer alone", has("level=INFO", `msg="no longer alone`, tax))
	if c := strings.Count(logs.String(), `msg="sealed block"`) + strings.Count(logs.String(), `msg="stored block"`); c > 20 {
		t.Errorf("%d lines of single blocks for a few blocks: not aggregated?\n%s", c, logs.String())
	}
}

func all(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
