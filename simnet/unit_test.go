package simnet

import (
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	sim "github.com/marcopolo/simnet"
)

func TestEmbeddedScenariosParse(t *testing.T) {
	names := Scenarios()
	for _, want := range []string{"standard", "propagation", "fanout", "faults", "regions", "smoke"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("scenario %q is not embedded (have %v)", want, names)
		}
	}
	for _, name := range names {
		s, err := LoadScenario(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.Name != name {
			t.Errorf("scenario file %s.toml is named %q", name, s.Name)
		}
	}
}

func TestScenarioValidation(t *testing.T) {
	for _, tc := range []struct{ toml, wantErr string }{
		{`name="x"` + "\npeers=1", "peers 1 is outside"},
		{`name="x"` + "\npeers=4\n[network]\ntopology=\"star\"", "topology"},
		{`name="x"` + "\npeers=4\n[[fault]]\nkind=\"crash\"\npeers=[4]", "peer 4 is outside"},
		{`name="x"` + "\npeers=4\n[[fault]]\nkind=\"partition\"\ngroups=1", "2 to 4 groups"},
		{`name="x"` + "\npeers=4\nduration=\"10s\"\n[[fault]]\nkind=\"join\"\nat=\"20s\"\npeers=[-1]", "after the load ends"},
		{`name="x"` + "\npeers=4\nbogus=1", "bogus"},
	} {
		_, err := ParseScenario([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: error %v, want one containing %q", tc.toml, err, tc.wantErr)
		}
	}
	s, err := ParseScenario([]byte("name=\"x\"\npeers=5\n[[fault]]\nkind=\"join\"\npeers=[-1]"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.peerIndex(s.Faults[0].Peers[0]); got != 4 {
		t.Errorf("peer -1 of 5 is %d, want 4", got)
	}
	if s.Network.Latency.D() != 25*time.Millisecond || s.Load.Batch != 50 {
		t.Errorf("defaults not applied: latency %s, batch %d", s.Network.Latency, s.Load.Batch)
	}
}

func TestTopologies(t *testing.T) {
	s := &Scenario{Peers: 12, Seed: 7, Network: NetworkSpec{Latency: Duration(20 * time.Millisecond), BandwidthMbps: 10, MTU: 1500, Topology: "random", Degree: 3}}
	for i, sp := range s.peerSpecs() {
		seen := map[int]bool{}
		for _, b := range sp.Bootstrap {
			if b == i || seen[b] || b < 0 || b >= 12 {
				t.Fatalf("peer %d bootstraps from %v", i, sp.Bootstrap)
			}
			seen[b] = true
		}
		if len(sp.Bootstrap) != 3 || sp.Link.Latency != 10*time.Millisecond || sp.Link.UplinkBps != 10e6 {
			t.Fatalf("peer %d: %+v", i, sp)
		}
	}
	s.Network.Topology = "full"
	pairs := map[[2]int]int{}
	for i, sp := range s.peerSpecs() {
		for _, b := range sp.Bootstrap {
			pairs[[2]int{min(i, b), max(i, b)}]++
		}
	}
	if len(pairs) != 12*11/2 || pairs[[2]int{0, 1}] != 2 {
		t.Errorf("full bootstrap dials %d pairs (0-1 %d times), want all 66, 0-1 twice", len(pairs), pairs[[2]int{0, 1}])
	}
	s.Network.Topology, s.Network.Regions = "regions", 3
	for i, sp := range s.peerSpecs() {
		if want := "region-" + string(rune('0'+i*3/12)); sp.Link.Region != want {
			t.Errorf("peer %d in %s, want %s", i, sp.Link.Region, want)
		}
		if len(sp.Bootstrap) != 4 { // 3 of its region and 1 outside
			t.Errorf("peer %d bootstraps from %v", i, sp.Bootstrap)
		}
	}
	s.Faults = []FaultSpec{{Kind: "crash", Peers: []int{2}}, {Kind: "join", Peers: []int{-1}}, {Kind: "slow", Peers: []int{3}, Latency: Duration(time.Second), BandwidthMbps: 1}}
	specs := s.peerSpecs()
	if !specs[2].Disk || !specs[11].Late || specs[3].Link.Latency != 1010*time.Millisecond || specs[3].Link.UplinkBps != 1e6 {
		t.Errorf("faults not applied: %+v %+v %+v", specs[2], specs[11], specs[3])
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(ds)
	if p.N != 100 || p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.Max != 100 || p.Mean != 50.5 {
		t.Errorf("percentiles of 1..100 ms: %+v", p)
	}
	if got := percentiles(nil); got.N != 0 {
		t.Errorf("percentiles of nothing: %+v", got)
	}
}

func TestLinksLatencyAndCuts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLinks(50 * time.Millisecond)
		defer l.Close()
		l.Attach(0, Link{Latency: 10 * time.Millisecond, Region: "a"}, nil)
		l.Attach(1, Link{Latency: 15 * time.Millisecond, Region: "a"}, nil)
		l.Attach(2, Link{Latency: 5 * time.Millisecond, Region: "b"}, nil)
		pkt := func(from, to int) *sim.Packet {
			return &sim.Packet{From: &net.UDPAddr{IP: IP(from), Port: 8000}, To: &net.UDPAddr{IP: IP(to), Port: 8000}}
		}
		if d := l.latency(pkt(0, 1)); d != 25*time.Millisecond {
			t.Errorf("same region: %s, want 25ms", d)
		}
		if d := l.latency(pkt(1, 2)); d != 70*time.Millisecond {
			t.Errorf("across regions: %s, want 70ms", d)
		}
		to := func(i int) net.Addr { return &net.UDPAddr{IP: IP(i), Port: 8000} }
		if l.cut(0, to(1)) {
			t.Error("cut without a partition")
		}
		l.Partition(map[int]int{0: 0, 1: 1, 2: 1})
		if !l.cut(0, to(1)) || l.cut(1, to(2)) {
			t.Error("partition {0} {1,2} not applied")
		}
		l.Heal()
		l.Isolate(2, true)
		if !l.cut(0, to(2)) || !l.cut(2, to(1)) || l.cut(0, to(1)) {
			t.Error("isolation of 2 not applied")
		}
		l.Isolate(2, false)
		if l.cut(0, to(2)) {
			t.Error("isolation of 2 not lifted")
		}
	})
}

func TestGateWaitsForOperations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g gate
		if !g.enter() {
			t.Fatal("a new gate refuses")
		}
		closed := make(chan struct{})
		go func() {
			g.close()
			close(closed)
		}()
		time.Sleep(time.Second)
		select {
		case <-closed:
			t.Fatal("close returned with an operation under way")
		default:
		}
		if g.enter() {
			t.Fatal("a closing gate admits")
		}
		g.leave()
		<-closed
		g.open()
		if !g.enter() {
			t.Fatal("a reopened gate refuses")
		}
	})
}

func TestPlotsOfAnEmptyReport(t *testing.T) {
	r := &Report{Scenario: "empty", Events: []Event{{At: time.Second, Kind: "crash"}}}
	if err := r.WriteFiles(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
