package simnet

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Scenario is a run: the network, the load and the faults, read from a
// TOML file (see scenarios/*.toml and the package doc).
type Scenario struct {
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// Peers is the number of members (2 to 1000).
	Peers int `toml:"peers"`
	// Duration is how long the load runs; faults happen within it.
	Duration Duration `toml:"duration"`
	// Settle bounds the wait, after the load, for every peer to hold every
	// chain at its head (default 60s).
	Settle Duration `toml:"settle"`
	// Seed makes the topology and the choice of peers repeatable.
	Seed    uint64      `toml:"seed"`
	Network NetworkSpec `toml:"network"`
	Chain   ChainSpec   `toml:"chain"`
	Load    LoadSpec    `toml:"load"`
	Faults  []FaultSpec `toml:"fault"`
}

// NetworkSpec is the links and the topology.
type NetworkSpec struct {
	// Latency is the one-way latency between two peers of one region.
	Latency Duration `toml:"latency"`
	// BandwidthMbps is every link's bandwidth each way, in Mbit/s.
	BandwidthMbps float64 `toml:"bandwidth_mbps"`
	// MTU in bytes (default 1500).
	MTU int `toml:"mtu"`
	// Topology is how peers bootstrap: "full" (every member, each pair
	// dialled once), "random" (Degree random members each, a k-regular-ish
	// graph), or "regions" (Regions groups; RegionLatency more one way
	// between them; bootstrap within the region plus one peer outside).
	// Whatever the bootstrap, DHT discovery then connects every member to
	// every other: the topology shapes the start, not the end.
	Topology      string   `toml:"topology"`
	Degree        int      `toml:"degree"`
	Regions       int      `toml:"regions"`
	RegionLatency Duration `toml:"region_latency"`
}

// ChainSpec overrides genesis parameters.
type ChainSpec struct {
	BlockInterval   Duration `toml:"block_interval"`
	MaxBlockBytes   int      `toml:"max_block_bytes"`
	MaxBlockEntries int      `toml:"max_block_entries"`
	// WitnessPeriod is the genesis witness_period (zero: the default).
	WitnessPeriod Duration `toml:"witness_period"`
}

// LoadSpec is the workload. Every loop is bounded by the run's duration
// and by MaxRecords, MaxLookups and MaxReports.
type LoadSpec struct {
	// Issuers are the first members; each submits Rate payment records
	// a second in batches of Batch.
	Issuers int     `toml:"issuers"`
	Rate    float64 `toml:"rate"`
	Batch   int     `toml:"batch"`
	// Lenders are the members after the issuers; each opens LenderRate
	// loans a second (SampleCreditEvents).
	Lenders    int     `toml:"lenders"`
	LenderRate float64 `toml:"lender_rate"`
	// People is how many distinct subjects records are about.
	People int `toml:"people"`
	// LightClients each look up LookupRate payments a second, among
	// those accepted at least LookupAge ago.
	LightClients int      `toml:"light_clients"`
	LookupRate   float64  `toml:"lookup_rate"`
	LookupAge    Duration `toml:"lookup_age"`
	// Reporters are members (from the last one down) that each ask
	// ReportRate credit reports a second, each bounded by ReportTimeout.
	Reporters     int      `toml:"reporters"`
	ReportRate    float64  `toml:"report_rate"`
	ReportTimeout Duration `toml:"report_timeout"`
	// Bounds on the whole run (defaults 1,000,000; 100,000; 10,000).
	MaxRecords int `toml:"max_records"`
	MaxLookups int `toml:"max_lookups"`
	MaxReports int `toml:"max_reports"`
}

// FaultSpec is one fault. Peers are member indices; negative ones count
// from the end (-1 is the last member).
type FaultSpec struct {
	// Kind: "partition" (Groups groups of consecutive members, healed
	// after For), "crash" (Peers cut off and stopped, restarted after
	// For), "join" (Peers start only At: late joiners), "faulty" (Peers
	// publish Rate invalid blocks a second for For), "slow" (Peers get
	// Latency more one way and BandwidthMbps, from the start).
	Kind          string   `toml:"kind"`
	At            Duration `toml:"at"`
	For           Duration `toml:"for"`
	Peers         []int    `toml:"peers"`
	Groups        int      `toml:"groups"`
	Rate          float64  `toml:"rate"`
	Latency       Duration `toml:"latency"`
	BandwidthMbps float64  `toml:"bandwidth_mbps"`
}

//go:embed scenarios/*.toml
var scenarioFiles embed.FS

// Scenarios lists the embedded scenarios' names.
func Scenarios() []string {
	ents, _ := fs.ReadDir(scenarioFiles, "scenarios")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(out)
	return out
}

// LoadScenario returns an embedded scenario by name, or reads a file when
// name ends in .toml.
func LoadScenario(name string) (*Scenario, error) {
	var data []byte
	var err error
	if strings.HasSuffix(name, ".toml") {
		data, err = os.ReadFile(name)
	} else {
		data, err = scenarioFiles.ReadFile(path.Join("scenarios", name+".toml"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("simnet: no scenario %q (have %s)", name, strings.Join(Scenarios(), ", "))
		}
	}
	if err != nil {
		return nil, err
	}
	return ParseScenario(data)
}

// ParseScenario reads a scenario file and fills in defaults.
func ParseScenario(data []byte) (*Scenario, error) {
	var s Scenario
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&s); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return nil, fmt.Errorf("simnet: scenario: unknown keys:\n%s", strict.String())
		}
		return nil, fmt.Errorf("simnet: scenario: %w", err)
	}
	s.defaults()
	return &s, s.Validate()
}

func (s *Scenario) defaults() {
	setD := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	setI := func(i *int, v int) {
		if *i == 0 {
			*i = v
		}
	}
	setD(&s.Duration, 30*time.Second)
	setD(&s.Settle, 60*time.Second)
	setD(&s.Network.Latency, 25*time.Millisecond)
	if s.Network.BandwidthMbps == 0 {
		s.Network.BandwidthMbps = 100
	}
	setI(&s.Network.MTU, 1500)
	if s.Network.Topology == "" {
		s.Network.Topology = "full"
	}
	setI(&s.Network.Degree, 4)
	setI(&s.Network.Regions, 3)
	setI(&s.Load.Batch, 50)
	setI(&s.Load.People, 1000)
	setD(&s.Load.LookupAge, 2*time.Second)
	setD(&s.Load.ReportTimeout, 2*time.Second)
	setI(&s.Load.MaxRecords, 1_000_000)
	setI(&s.Load.MaxLookups, 100_000)
	setI(&s.Load.MaxReports, 10_000)
}

// Validate checks the scenario's bounds and peer indices.
func (s *Scenario) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("simnet: scenario %s: "+format, append([]any{s.Name}, args...)...))
	}
	if s.Peers < 2 || s.Peers > 1000 {
		bad("peers %d is outside 2..1000", s.Peers)
	}
	switch s.Network.Topology {
	case "full", "random", "regions":
	default:
		bad("topology %q is not full, random or regions", s.Network.Topology)
	}
	if s.Network.MTU < 1200 {
		bad("mtu %d is below QUIC's 1200", s.Network.MTU)
	}
	if s.Load.Issuers+s.Load.Lenders > s.Peers {
		bad("%d issuers and %d lenders need more than %d peers", s.Load.Issuers, s.Load.Lenders, s.Peers)
	}
	if s.Load.Reporters > s.Peers {
		bad("%d reporters need more than %d peers", s.Load.Reporters, s.Peers)
	}
	for i, f := range s.Faults {
		switch f.Kind {
		case "partition":
			if f.Groups < 2 || f.Groups > s.Peers {
				bad("fault %d: a partition needs 2 to %d groups", i, s.Peers)
			}
		case "crash", "join", "faulty", "slow":
			if len(f.Peers) == 0 {
				bad("fault %d (%s): no peers", i, f.Kind)
			}
		default:
			bad("fault %d: kind %q is not partition, crash, join, faulty or slow", i, f.Kind)
		}
		for _, p := range f.Peers {
			if p >= s.Peers || p < -s.Peers {
				bad("fault %d: peer %d is outside the %d members", i, p, s.Peers)
			}
		}
		if f.At.D() > s.Duration.D() {
			bad("fault %d at %s is after the load ends (%s)", i, f.At, s.Duration)
		}
	}
	return errors.Join(errs...)
}

// peerIndex resolves a fault's peer index (negative from the end).
func (s *Scenario) peerIndex(i int) int {
	if i < 0 {
		return s.Peers + i
	}
	return i
}
