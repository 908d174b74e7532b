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
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/queryproto"
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
	logLevel string
	postgres bool // demo_postgres.go
}

// demoSummary is what `credmesh demo --json` prints.
type demoSummary struct {
	Dir       string             `json:"dir"`
	Network   string             `json:"network"`
	Peers     []demoPeer         `json:"peers"`
	Submitted map[string]int     `json:"submitted"`
	InSync    bool               `json:"in_sync"`
	Timings   map[string]string  `json:"timings"`
	Payment   *api.PaymentView   `json:"payment_lookup"`
	Report    *api.ReportView    `json:"credit_report"`
	Billing   *api.BillingView   `json:"billing"`
	Postgres  *demoPostgres      `json:"postgres,omitempty"`
	Rights    *demoRightsSummary `json:"rights"`
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
credit events, wait until every peer holds every chain, look a payment up with
a light client that verifies it against the genesis, run a credit report that
asks every member with the credit role (the lenders), and print a summary with
the billing statement it caused.
Each peer is a real libp2p host with its own store; they find each other through
the private DHT and replicate over gossip and sync.

With --postgres, the last lender keeps its loans in a throwaway PostgreSQL
cluster on loopback (the server must be installed: make postgresql) and
answers credit queries from its credmesh_accounts view at query time instead
of from records submitted to its peer.`,
		Example: `  credmesh demo
  credmesh demo --keep --dir ./demo-net    # leave the network running
  credmesh demo --json
  credmesh demo --postgres                 # one lender answers from PostgreSQL`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, f) },
	}
	c.Flags().StringVar(&f.dir, "dir", "", "directory for the homes (default: a new temporary directory, removed afterwards unless --keep)")
	c.Flags().BoolVar(&f.keep, "keep", false, "leave the network running until interrupted and print how to talk to it")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print the summary as JSON on stdout, and nothing else there (progress and --keep's hints go to stderr)")
	c.Flags().IntVar(&f.payments, "payments", 3000, "payment records the tax authority publishes")
	c.Flags().IntVar(&f.loans, "loans", 300, "loans each lender publishes (every third goes overdue)")
	c.Flags().DurationVar(&f.timeout, "timeout", 90*time.Second, "give up if the network is not in sync by then")
	c.Flags().StringVar(&f.logLevel, "log-level", "info", "level of the peers' log (demo.log): debug, info, warn, error")
	c.Flags().BoolVar(&f.postgres, "postgres", false, "keep the last lender's loans in a throwaway PostgreSQL (needs the server installed: make postgresql) and answer its credit queries from there")
	return c
}

func runDemo(cmd *cobra.Command, f demoFlags) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	// Progress and every other line of text go to stderr, so that with
	// --json stdout holds the JSON summary alone, --keep or not.
	progress := cmd.ErrOrStderr()
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(progress, "creating %d homes under %s (peer logs: %s)\n", len(devnet.DefaultMembers), dir, logFile.Name())
	net, err := devnet.Create(devnet.Options{Dir: dir, Network: "demo", Logger: node.NewLogger(config.LogConfig{Level: f.logLevel, Format: "text"}, logFile)})
	if err != nil {
		return err
	}
	var pg *demoPostgres
	if f.postgres {
		cluster, p, err := startDemoPostgres(ctx, net, f.loans)
		if err != nil {
			return err
		}
		defer cluster.Shutdown()
		pg = p
		fmt.Fprintf(progress, "%s keeps its %d credit event rows in PostgreSQL (%s, view %s)\n", p.Member, p.Rows, p.DSN, p.View)
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
	last := -1
	err = net.WaitInSync(wctx, func(done, total int) {
		if done != last { // a line per change, not per poll
			fmt.Fprintf(progress, "every peer holds every chain: %d of %d (peer, chain) pairs in sync\n", done, total)
			last = done
		}
	})
	inSync := err == nil
	timings["in_sync"] = since(start)
	if !inSync {
		return &exitError{code: 1, msg: err.Error()}
	}

	fmt.Fprintf(progress, "looking a payment up with a light client, and running a credit report\n")
	g, err := config.LoadGenesis(net.Homes[0].GenesisPath())
	if err != nil {
		return err
	}
	orderID := records.SampleOrderID(net.Opts.Members[0].Dir, 42)
	lctx, lcancel := context.WithTimeout(ctx, 20*time.Second)
	defer lcancel()
	res, err := lookupPayment(lctx, g, orderID, lookupFlags{peerTimeout: queryproto.DefaultPeerTimeout, answers: queryproto.DefaultAnswers})
	if err != nil {
		return fmt.Errorf("light client lookup of %s: %w", orderID, err)
	}
	pay := res.Payments[0] // a lookup without error verified exactly one record
	timings["lookup"] = since(start)
	lender := api.NewClient(net.Node(1).APIAddr(), "")
	subject := records.Subject{Kind: "cn-rid", ID: records.SampleResidentID(0)}
	report, err := lender.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "DEMO-CONSENT-0001"})
	if err != nil {
		return fmt.Errorf("credit report: %w", err)
	}
	timings["report"] = since(start)
	// The receipts of the report reach every peer; then every peer's
	// statement is the same.
	if err := net.WaitInSync(wctx, nil); err != nil {
		return err
	}
	statement, err := api.NewClient(net.Node(0).APIAddr(), "").Billing(ctx, time.Now().UTC().Format("2006-01"))
	if err != nil {
		return err
	}

	fmt.Fprintf(progress, "correcting a payment and entering a subject's dispute\n")
	rights, err := demoRights(ctx, wctx, net)
	if err != nil {
		return err
	}
	timings["rights"] = since(start)

	issuer, _ := peerid.FromIssuer(pay.Issuer)
	sum := demoSummary{Rights: rights, Dir: dir, Network: "demo", Submitted: submitted, InSync: inSync, Timings: timings,
		Payment: node.PaymentView(pay.Record, issuer.String(), net.Opts.Members[0].Name, pay.Height, pay.Header.Hash.String()),
		Report:  report, Billing: statement, Postgres: pg}
	sum.Payment.Peer = pay.Peer.String()
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
	if f.keep {
		keepOut := out
		if f.asJSON {
			keepOut = progress
		}
		printKeep(keepOut, net)
		<-ctx.Done()
		return nil
	}
	if !f.asJSON {
		fmt.Fprintf(out, "\nthe explorer was at http://%s/ while the network ran; `credmesh demo --keep` (make demo DEMOFLAGS=--keep) leaves it running to browse\n", net.Node(0).APIAddr())
	}
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }

func submitDemoRecords(ctx context.Context, net *devnet.Net, f demoFlags) (map[string]int, error) {
	out := map[string]int{}
	for i, m := range net.Opts.Members {
		if f.postgres && i == demoPostgresMember(net) {
			continue // its loans are in PostgreSQL
		}
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
			if resp.Refused+resp.Duplicates > 0 {
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
	fmt.Fprint(tw, "PEER\tRECORDS ACCEPTED\t")
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
	fmt.Fprintf(w, "every peer holds every chain: in sync after %s\n", s.Timings["in_sync"])

	p := s.Payment
	fmt.Fprintf(w, "\nlight client: payment %s fetched from %.20s… and verified against the genesis\n", p.OrderID, p.Peer)
	fmt.Fprintf(w, "  %s, %s, period %s: %s %s, block %d of %s\n", p.IssuerName, p.Category, p.Period, minor(p.AmountMinor), p.Currency, p.Height, short(p.IssuerName))

	r := s.Report
	fmt.Fprintf(w, "\ncredit report by %s in %d ms: %d of %d credit members answered, every answer signed and verified\n",
		s.Peers[1].Name, r.ElapsedMS, r.Summary.Answered, r.Summary.Asked)
	fmt.Fprintf(w, "  active accounts %d with %d lenders, worst %d days overdue, %d institutions queried for lending in 30 days\n",
		r.Summary.ActiveAccounts, r.Summary.ActiveLenders, r.Summary.WorstDaysOverdue, r.Summary.LendingQueriers30d)

	printDemoPostgres(w, s) // demo_postgres.go
	b := s.Billing
	fmt.Fprintf(w, "\nbilling %s from the query receipts on the chains (every peer computes the same):\n", b.Period)
	for _, l := range b.Lines {
		fmt.Fprintf(w, "  %-24s made %d, served %d, net %s CNY\n", l.Name, l.QueriesMade, l.QueriesServed, signed(l.Net["CNY"]))
	}
	printDemoRights(w, s.Rights)
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
	fmt.Fprintf(w, "  open the explorer in a browser: http://%s/\n", net.Node(0).APIAddr())
}
