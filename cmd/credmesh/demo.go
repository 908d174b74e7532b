package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

type demoFlags struct {
	dir      string
	keep     bool
	asJSON   bool
	payments int
	loans    int
	timeout  time.Duration
}

// demoSummary is what `credmesh demo --json` prints.
type demoSummary struct {
	Dir       string            `json:"dir"`
	Network   string            `json:"network"`
	Peers     []demoPeer        `json:"peers"`
	Submitted map[string]int    `json:"submitted"`
	InSync    bool              `json:"in_sync"`
	Timings   map[string]string `json:"timings"`
}

type demoPeer struct {
	Name   string            `json:"name"`
	PeerID string            `json:"peer_id"`
	Home   string            `json:"home"`
	API    string            `json:"api"`
	Chains map[string]uint64 `json:"chains"`
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole network on this machine and show it working",
		Long: `Start a local network of real peers on loopback — a tax authority and three
lenders, each with a home of its own — publish sample payment records and
credit events, wait until every peer holds every chain, and print a summary.
Each peer is a real libp2p host with its own store; they find each other through
the private DHT and replicate over gossip and sync.`,
		Example: `  credmesh demo
  credmesh demo --keep --dir ./demo-net    # leave the network running
  credmesh demo --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, f) },
	}
	c.Flags().StringVar(&f.dir, "dir", "", "directory for the homes (default: a new temporary directory, removed afterwards unless --keep)")
	c.Flags().BoolVar(&f.keep, "keep", false, "leave the network running until interrupted and print how to talk to it")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print the summary as JSON")
	c.Flags().IntVar(&f.payments, "payments", 3000, "payment records the tax authority publishes")
	c.Flags().IntVar(&f.loans, "loans", 300, "loans each lender publishes (every third goes overdue)")
	c.Flags().DurationVar(&f.timeout, "timeout", 90*time.Second, "give up if the network is not in sync by then")
	return c
}

func runDemo(cmd *cobra.Command, f demoFlags) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	progress := io.Writer(cmd.ErrOrStderr())
	if f.asJSON {
		progress = io.Discard
	}
	start := time.Now()
	dir := f.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "credmesh-demo-")
		if err != nil {
			return err
		}
		dir = tmp
		if !f.keep {
			defer os.RemoveAll(dir)
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(progress, "creating %d homes under %s (peer logs: %s)\n", len(devnet.DefaultMembers), dir, logFile.Name())
	net, err := devnet.Create(devnet.Options{Dir: dir, Network: "demo", Logger: node.NewLogger(configLog(), logFile)})
	if err != nil {
		return err
	}
	if err := net.Start(); err != nil {
		return err
	}
	defer net.Stop()
	timings := map[string]string{"start": since(start)}

	fmt.Fprintf(progress, "peers started; submitting records through each peer's HTTP API\n")
	submitted, err := submitDemoRecords(ctx, net, f)
	if err != nil {
		return err
	}
	timings["submit"] = since(start)

	wctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	err = net.WaitInSync(wctx, func(done, total int) {
		fmt.Fprintf(progress, "\rwaiting until every peer holds every chain: %d/%d", done, total)
	})
	fmt.Fprintln(progress)
	inSync := err == nil
	timings["in_sync"] = since(start)

	sum := demoSummary{Dir: dir, Network: "demo", Submitted: submitted, InSync: inSync, Timings: timings}
	for i, h := range net.Homes {
		nd := net.Node(i)
		st := nd.Status()
		p := demoPeer{Name: st.Name, PeerID: st.PeerID, Home: string(h), API: nd.APIAddr(), Chains: map[string]uint64{}}
		for _, c := range st.Chains {
			p.Chains[c.Name] = c.Height
		}
		sum.Peers = append(sum.Peers, p)
	}
	if f.asJSON {
		if err := printJSON(out, sum); err != nil {
			return err
		}
	} else {
		printDemo(out, sum, net)
	}
	if !inSync {
		return &exitError{code: 1, msg: err.Error()}
	}
	if f.keep {
		printKeep(out, net)
		<-ctx.Done()
	}
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }

func submitDemoRecords(ctx context.Context, net *devnet.Net, f demoFlags) (map[string]int, error) {
	out := map[string]int{}
	for i, m := range net.Opts.Members {
		nd := net.Node(i)
		var recs []records.Record
		if strings.HasPrefix(m.Dir, "tax") {
			for n := range f.payments {
				recs = append(recs, records.SamplePayment(m.Dir, n, 500))
			}
		} else {
			for n := range f.loans {
				recs = append(recs, records.SampleCreditEvents(m.Dir, n, 500)...)
			}
		}
		client := api.NewClient(nd.APIAddr(), "")
		for len(recs) > 0 {
			batch := recs[:min(len(recs), 1000)]
			recs = recs[len(batch):]
			resp, err := client.Submit(ctx, batch)
			if err != nil {
				return nil, fmt.Errorf("submitting to %s: %w", m.Name, err)
			}
			if resp.Refused > 0 {
				for _, r := range resp.Results {
					if r.Error != "" {
						return nil, fmt.Errorf("%s refused a sample record: %s", m.Name, r.Error)
					}
				}
			}
			out[m.Name] += resp.Accepted
		}
	}
	return out, nil
}

func printDemo(w io.Writer, s demoSummary, net *devnet.Net) {
	fmt.Fprintf(w, "\ncredmesh demo: %d peers on network %q\n\n", len(s.Peers), s.Network)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprint(tw, "PEER\tRECORDS PUBLISHED\t")
	for _, p := range s.Peers {
		fmt.Fprintf(tw, "%s\t", short(p.Name))
	}
	fmt.Fprintln(tw)
	for _, p := range s.Peers {
		fmt.Fprintf(tw, "%s\t%d\t", p.Name, s.Submitted[p.Name])
		for _, q := range s.Peers {
			fmt.Fprintf(tw, "%d\t", p.Chains[q.Name])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n(each row: the block height this peer holds of every member's chain)\n")
	if s.InSync {
		fmt.Fprintf(w, "every peer holds every chain: in sync after %s\n", s.Timings["in_sync"])
	} else {
		fmt.Fprintf(w, "NOT in sync after %s\n", s.Timings["in_sync"])
	}
}

func short(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

func printKeep(w io.Writer, net *devnet.Net) {
	fmt.Fprintf(w, "\nthe network keeps running; press Ctrl-C to stop it. Try:\n")
	for _, h := range net.Homes {
		fmt.Fprintf(w, "  credmesh status --home %s\n", h)
	}
	fmt.Fprintf(w, "  curl http://%s/metrics\n", net.Node(0).APIAddr())
}
