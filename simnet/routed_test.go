package simnet

import (
	"context"
	"os"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

// TestRoutedReports compares credit reports asking every credit member
// with reports routed by the members' subject filters (docs/SCALE.md
// section 5), at 20 members (100 with CREDMESH_SIM_LONG=1, 8 under -race,
// CREDMESH_SIM_ROUTED_MEMBERS=N for another size),
// 20 ms RTT. Routed reports must find exactly what asking everyone finds
// while asking, and making receipts at, a few members per report.
func TestRoutedReports(t *testing.T) {
	members := 20
	switch {
	case longTests():
		members = 100
	case raceEnabled:
		members = 8
	}
	if v, err := strconv.Atoi(os.Getenv("CREDMESH_SIM_ROUTED_MEMBERS")); err == nil && v >= 3 {
		members = v
	}
	r := RoutedRun{Members: members, Loans: 10, Reports: 40, FalsePositive: 0.01, Latency: 20 * time.Millisecond, Seed: 1}
	var rep *RoutedReport
	synctest.Test(t, func(t *testing.T) {
		var err error
		rep, err = RunRouted(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%d members, %d subjects, filters %.0f bytes mean; ask everyone: %.1f asked, %.1f receipts, p50 %.1f ms, p99 %.1f ms, complete %.2f; routed: %.2f asked, %.2f receipts, p50 %.1f ms, p99 %.1f ms, complete %.2f; %d mismatches",
		rep.Members, rep.Subjects, rep.FilterBytes.Mean,
		rep.All.Asked, rep.All.Receipts, rep.All.Latency.P50, rep.All.Latency.P99, rep.All.Complete,
		rep.Routed.Asked, rep.Routed.Receipts, rep.Routed.Latency.P50, rep.Routed.Latency.P99, rep.Routed.Complete, rep.Mismatches)
	if rep.Mismatches != 0 {
		t.Errorf("%d routed reports differ from asking everyone", rep.Mismatches)
	}
	if rep.All.Complete < 0.95 || rep.Routed.Complete < 0.95 {
		t.Errorf("complete reports: %.2f asking everyone, %.2f routed; want 95 %%", rep.All.Complete, rep.Routed.Complete)
	}
	if rep.Routed.Asked >= rep.All.Asked/2 {
		t.Errorf("routed reports ask %.1f members, everyone-reports %.1f: want under half", rep.Routed.Asked, rep.All.Asked)
	}
}
