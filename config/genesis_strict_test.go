package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
	"github.com/libp2p/go-libp2p/core/peer"
)

// What encoding/json and time.Parse let through but genesis.json must not
// hold (docs/PROTOCOL.md 15): nulls, peer IDs in another text form than
// base58btc, loose times, fees beyond the limit of amounts.
func TestGenesisRefusesLooseValues(t *testing.T) {
	n := newTestNet(t)
	id1 := n.members[1].ID
	const tm = `"2026-11-01T07:30:00.123456789Z"`
	for _, tt := range []struct {
		name, old, new, want string
	}{
		{"null fee", `"query_fee_minor": 150`, `"query_fee_minor": null`, "params.query_fee_minor: null is not a value"},
		{"null addrs", `"addrs": [`, `"addrs": null, "x": [`, "members[0].addrs: null is not a value"},
		{"null params", `"params": {`, `"params": null, "p": {`, "params: null is not a value"},
		{"peer ID as a CID", id1.String(), peer.ToCid(id1).String(), `members[1].id: "` + peer.ToCid(id1).String() + `" is not written in base58btc: write ` + id1.String()},
		{"comma before the fraction", tm, strings.Replace(tm, ".", ",", 1), "genesis_time: \"2026-11-01T07:30:00,123456789Z\" is not an RFC 3339 time"},
		{"ten digits of fraction", tm, strings.Replace(tm, "Z", "1Z", 1), "is not an RFC 3339 time"},
		{"offset of 24 h", tm, strings.Replace(tm, "Z", "+24:00", 1), "is not an RFC 3339 time"},
		{"lower-case z", tm, strings.Replace(tm, "Z", "z", 1), "is not an RFC 3339 time"},
		{"fee over the limit", `"query_fee_minor": 150`, `"query_fee_minor": 1000000000000001`, "params.query_fee_minor: 1000000000000001 is over the limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(n.data, tt.old, tt.new, 1)
			if data == n.data {
				t.Fatalf("%q not in the genesis", tt.old)
			}
			p := filepath.Join(t.TempDir(), "genesis.json")
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadGenesis(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("got %v\nwant ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	// Offsets other than Z stay valid; the time is kept in UTC.
	data := strings.Replace(n.data, tm, `"2026-11-01T08:30:00.123456789+01:00"`, 1)
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if g, err := config.LoadGenesis(p); err != nil || !g.Time().Equal(n.genesis.Time()) {
		t.Fatalf("an offset time: %v", err)
	}
}
