package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/credmesh/credmesh/simnet"
	"github.com/spf13/cobra"
)

func newSimCmd() *cobra.Command {
	var (
		scenario  string
		peers     int
		duration  time.Duration
		out       string
		asJSON    bool
		list      bool
		seed      uint64
		bandwidth float64
		latency   time.Duration
		verbose   bool
		pprofAddr string
	)
	c := &cobra.Command{
		Use:   "sim --scenario NAME [--peers N] [--duration D] [--out DIR]",
		Short: "Run many real peers in this process over simulated links and report",
		Long: `sim runs a scenario: many real credmesh peers (the same node code as 'credmesh
run') in this one process, over simulated QUIC links with latency, bandwidth and
MTU (github.com/marcopolo/simnet; no socket is opened), under load (issuers
sealing records, light clients looking payments up, members asking for credit
reports) and faults (partitions, crashes, late joiners, a faulty member, a slow
member). Time is the wall clock, so on a small machine CPU contention adds to
the figures; 'go test ./simnet' runs scenarios in virtual time.

Every run writes report.json, report.txt and PNG plots into --out, prints the
table (or the JSON with --json), and exits 1 if the network did not end with
identical chain heads everywhere and every accepted record on every peer.
Scenarios are TOML files; --scenario takes an embedded name or a path ending
in .toml. See 'go doc github.com/credmesh/credmesh/simnet'.`,
		Example: `  credmesh sim --list
  credmesh sim --scenario smoke --out /tmp/sim-smoke
  credmesh sim --scenario standard --peers 30 --duration 60s --out /tmp/sim-standard
  credmesh sim --scenario propagation --peers 100 --out /tmp/sim-prop-100
  credmesh sim --scenario propagation --peers 100 --bandwidth-mbps 20 --out /tmp/sim-prop-20
  credmesh sim --scenario ./my-scenario.toml --json --out /tmp/sim-mine | jq .propagation`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				for _, name := range simnet.Scenarios() {
					s, err := simnet.LoadScenario(name)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-14s %3d peers, %-5s %s\n", name, s.Peers, s.Duration, s.Description)
				}
				return nil
			}
			if scenario == "" {
				return usageErr("--scenario NAME is required (see --list)")
			}
			s, err := simnet.LoadScenario(scenario)
			if err != nil {
				return err
			}
			if peers > 0 {
				s.Peers = peers
			}
			if duration > 0 {
				s.Duration = simnet.Duration(duration)
			}
			if cmd.Flags().Changed("seed") {
				s.Seed = seed
			}
			if bandwidth > 0 {
				s.Network.BandwidthMbps = bandwidth
			}
			if latency > 0 {
				s.Network.Latency = simnet.Duration(latency)
			}
			if err := s.Validate(); err != nil {
				return usageErr(err.Error())
			}
			if out == "" {
				out = filepath.Join(os.TempDir(), "credmesh-sim-"+strings.TrimSuffix(filepath.Base(scenario), ".toml"))
			}
			errw := cmd.ErrOrStderr()
			if pprofAddr != "" {
				if err := servePprof(pprofAddr); err != nil {
					return usageErr(err.Error())
				}
			}
			o := simnet.RunOptions{
				ProgressEvery: 5 * time.Second,
				Progress:      func(line string) { fmt.Fprintln(errw, line) },
			}
			if verbose {
				o.Logger = slog.New(slog.NewTextHandler(errw, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			fmt.Fprintf(errw, "running %s: %d peers for %s (%s one-way, %g Mbit/s); reports to %s\n",
				s.Name, s.Peers, s.Duration, s.Network.Latency, s.Network.BandwidthMbps, out)
			rep, runErr := simnet.Run(cmd.Context(), s, o)
			if rep == nil {
				return runErr
			}
			if err := rep.WriteFiles(out); err != nil {
				return err
			}
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), rep)
			} else {
				err = rep.WriteTable(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(errw, "wrote %s/report.json, report.txt and %s\n", out, strings.Join(simnet.Plots, ", "))
			if runErr != nil {
				return &exitError{code: 1, msg: runErr.Error()}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&scenario, "scenario", "", "embedded scenario name, or a .toml file")
	f.IntVar(&peers, "peers", 0, "number of member peers (default: the scenario's)")
	f.DurationVar(&duration, "duration", 0, "how long the load runs (default: the scenario's)")
	f.StringVar(&out, "out", "", "directory for report.json, report.txt and plots (default $TMPDIR/credmesh-sim-NAME)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of a table")
	f.BoolVar(&list, "list", false, "list the embedded scenarios")
	f.Uint64Var(&seed, "seed", 0, "seed for the topology and the choice of records (default: the scenario's)")
	f.Float64Var(&bandwidth, "bandwidth-mbps", 0, "every link's bandwidth in Mbit/s (default: the scenario's)")
	f.DurationVar(&latency, "latency", 0, "one-way latency between two peers (default: the scenario's)")
	f.BoolVar(&verbose, "verbose", false, "print the peers' logs (info and above) on standard error")
	f.StringVar(&pprofAddr, "pprof", "", "serve net/http/pprof on this loopback host:port (e.g. 127.0.0.1:6060)")
	return c
}

// servePprof serves the Go profiler on a loopback address, for looking
// into a long run.
func servePprof(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--pprof %q: only a loopback address is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go http.Serve(ln, nil)
	return nil
}
