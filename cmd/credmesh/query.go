package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"
)

func newQueryCmd() *cobra.Command {
	c := &cobra.Command{Use: "query", Short: "Look records up as a light client, verifying every proof"}
	c.AddCommand(newQueryPaymentCmd())
	return c
}

// Exit codes of query payment, for scripts (0 verified, 1 other errors,
// 2 usage).
const (
	exitNotFound    = 3
	exitVerify      = 4
	exitConflict    = 5
	exitForked      = 6
	exitUnwitnessed = 7
)

// lookupFlags are the light client's settings from the command line.
type lookupFlags struct {
	peers       []string
	peerTimeout time.Duration
	answers     int
	// witnesses is --witnesses: negative for the default, a majority of
	// the members other than the issuer.
	witnesses int
}

func newQueryPaymentCmd() *cobra.Command {
	var (
		genesisPath string
		asJSON      bool
		timeout     time.Duration
		batchFile   string
		lf          lookupFlags
		sf          saveFlags
	)
	c := &cobra.Command{
		Use:   "payment (ORDER_ID | --batch FILE) --genesis FILE [--peer MULTIADDR]...",
		Short: "Fetch every payment record under an order ID and verify each against the genesis",
		Long: `Fetch the payment records under an order ID from peers and verify them yourself:
the issuer's signature on the block header against the genesis members, that the
issuer is a payments member, the Merkle inclusion proof, and the sealed record,
which only the order ID opens. No peer has to be trusted. With no --peer, peers
are found from the genesis addresses.

The lookup wants verified answers from --answers peers (fewer if fewer are
known) and asks that many at once; whenever one fails or answers NOT_FOUND, or
300 ms pass without an answer, it asks the next, at most 4 peers (or every
--peer given), each for at most --peer-timeout. It shows every record the peers
served, never only one. An answer whose proofs are not sorted fails a check; a
peer that leaves out a record another peer served is asked for its heads: if it
holds the record's block it hid the record (a failed check), otherwise it is
only behind (noted).

With --batch FILE (one order ID a line; "-" reads standard input; blank lines
and lines starting with # are skipped) every order ID is looked up, each as
strictly as one alone, in batch requests of up to 256 order IDs a peer, and
one line is printed per order ID in the file's order: verified (amount,
category, period, issuer, block), not found, CHECK FAILED, FORKED, CONFLICT
or error, then a count of each. The exit status is that of the worst
outcome, in the order 4, 6, 5, 3, 1; 0 when every order ID verified.
--timeout bounds the whole batch.

Exit status:
  0  verified: the record of one issuer
  1  other errors: no peer answered, a bad genesis
  2  usage error
  3  not found: the peers asked hold no such record; they may be behind (the
     peers that said so are named)
  4  a check failed; the check and the peer are named (a forged, malformed,
     unsorted or incomplete answer, or an issuer without the payments role)
  5  conflict: records of two or more issuers under the order ID; every record
     is shown and none is to be preferred
  6  an issuer is forked: it signed two different blocks at one height, or
     two payments under one order ID. The evidence (the issuer, the height
     and the two header hashes) and every record are shown, the forked
     issuer's marked. A member that holds evidence against an issuer serves
     it with the issuer's records; the lookup checks both signatures.
  7  too few witnesses: the record's block has fewer than --witnesses valid
     cosignatures of members other than its issuer (docs/PROTOCOL.md 17.6).
     It may be a block the rest of the network never saw (an issuer and the
     peer asked showing you a fork), or one too recent: a block is cosigned
     about one witness period (genesis params.witness_period, 30 s by
     default) after it is sealed, so try again after that.

Witnesses: every member cosigns, once a witness period, the heads of every
chain it has verified; answers carry those cosignatures. --witnesses K wants K
of them, from distinct members other than the record's issuer; the default is
a majority of those members (with 5 members, 3). --witnesses 0 checks none: an
issuer colluding with the peer asked could then show you a forked block
unnoticed. --batch lookups check every record under the same --witnesses K. The answer shows, per record, which
witnesses cosigned which head and how far that head is ahead of the record's block.

Certificates: --save FILE writes an offline payment certificate of the record (exit 0
only): the record, its inclusion proof, the block header, the path from the block
into each cosigned head and the cosignatures, the network ID and the genesis hash
(docs/PROTOCOL.md 19). "credmesh verify FILE --genesis genesis.json" checks it with
no network. The certificate carries the order ID, which opens the record; --sealed
leaves it out (the verifier then needs --order-id to see the record). --qr FILE.png
also renders it as one QR code, keeping fewer cosignatures (at least --witnesses)
when it would not fit.`,
		Example: `  credmesh query payment SI3f9a0c51e2d47b8a6f10 --genesis ./genesis.json
  credmesh query payment SI3f9a0c51e2d47b8a6f10 --genesis ./genesis.json \
      --peer /ip4/10.0.0.6/tcp/7600/p2p/12D3KooW... --json
  credmesh query payment --batch certificates.txt --genesis ./genesis.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if batchFile != "" {
				if len(args) != 0 {
					return usageErr("query payment --batch FILE takes no ORDER_ID argument")
				}
				return nil
			}
			if len(args) != 1 {
				return usageErr(fmt.Sprintf("query payment takes one ORDER_ID, not %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if genesisPath == "" {
				return usageErr("--genesis FILE is required: the network's genesis.json")
			}
			if timeout <= 0 || lf.peerTimeout <= 0 {
				return usageErr("--timeout and --peer-timeout must be positive")
			}
			if lf.answers < 1 {
				return usageErr(fmt.Sprintf("--answers must be at least 1, not %d", lf.answers))
			}
			g, err := config.LoadGenesis(genesisPath)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if batchFile != "" && (sf.save != "" || sf.qr != "" || sf.sealed) {
				return usageErr("--save, --qr and --sealed are for one ORDER_ID, not --batch")
			}
			if batchFile != "" {
				ids, err := readOrderIDs(batchFile, cmd.InOrStdin())
				if err != nil {
					return err // the file, not the command line: exit 1
				}
				results, err := lookupBatch(ctx, g, ids, lf)
				if err != nil {
					return err
				}
				return showBatch(cmd.OutOrStdout(), g, results, asJSON)
			}
			if sf.save == "" && (sf.qr != "" || sf.sealed) {
				return usageErr("--qr and --sealed go with --save FILE")
			}
			res, err := lookupPayment(ctx, g, args[0], lf)
			if err := showLookup(cmd.OutOrStdout(), g, res, err, asJSON); err != nil {
				return err
			}
			return saveCertificate(cmd.ErrOrStderr(), g, res, sf, defaultWitnesses(g, lf.witnesses))
		},
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err.Error()) })
	c.Flags().StringVar(&genesisPath, "genesis", "", "the network's genesis.json")
	c.Flags().StringArrayVar(&lf.peers, "peer", nil, "ask this peer (multiaddr ending in /p2p/<peer-id>) instead of finding peers; repeat for several")
	c.Flags().StringVar(&batchFile, "batch", "", "look up every order ID in FILE, one a line (- for standard input)")
	c.Flags().BoolVar(&asJSON, "json", false, `print {"order_id", "records": [...], "conflict", "forks": [...]} as JSON (exit 0, 5 and 6)`)
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	c.Flags().DurationVar(&lf.peerTimeout, "peer-timeout", queryproto.DefaultPeerTimeout, "give each peer at most this long to answer")
	c.Flags().IntVar(&lf.answers, "answers", queryproto.DefaultAnswers, "how many peers' verified answers to gather")
	c.Flags().StringVar(&sf.save, "save", "", "write an offline payment certificate of the record to FILE")
	c.Flags().BoolVar(&sf.sealed, "sealed", false, "with --save: leave the order ID out of the certificate (the record stays sealed)")
	c.Flags().StringVar(&sf.qr, "qr", "", "with --save: also render the certificate as a QR code in FILE.png")
	c.Flags().IntVar(&lf.witnesses, "witnesses", -1, "how many members other than the issuer must have cosigned the record's block (default: a majority of them; 0: none)")
	return c
}

// showLookup prints a lookup's records and turns its outcome into the
// exit code of query payment.
func showLookup(out io.Writer, g *config.Genesis, res *queryproto.LookupResult, err error, asJSON bool) error {
	var (
		conflict *queryproto.ConflictError
		forked   *queryproto.ForkError
	)
	switch {
	case errors.Is(err, queryproto.ErrVerify):
		return &exitError{code: exitVerify, msg: "an answer failed a check, so no record is shown:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	case errors.As(err, &forked):
		v := lookupView(g, res)
		if asJSON {
			if err := printJSON(out, v); err != nil {
				return err
			}
		} else {
			printLookupForks(out, g, forked.Forks)
			for i := range v.Records {
				fmt.Fprintln(out)
				what := "verified"
				if v.Records[i].Forked {
					what = "verified, but its issuer is FORKED: not to be relied on"
				}
				printPayment(out, &v.Records[i], fmt.Sprintf("record %d of %d — %s", i+1, len(v.Records), what))
			}
			printNotes(out, res)
		}
		return &exitError{code: exitForked, msg: fmt.Sprintf("%v\n  the issuer %s equivocated; its records cannot be relied on", err, issuerName(g, forked.Issuer))}
	case errors.As(err, &conflict):
		v := lookupView(g, res)
		if asJSON {
			if err := printJSON(out, v); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(out, "CONFLICT: %d issuers published records under order ID %s.\nEvery record follows; none is to be preferred.\n", len(v.Records), v.OrderID)
			for i := range v.Records {
				fmt.Fprintln(out)
				printPayment(out, &v.Records[i], fmt.Sprintf("record %d of %d — verified", i+1, len(v.Records)))
			}
			printNotes(out, res)
		}
		return &exitError{code: exitConflict, msg: err.Error()}
	case errors.Is(err, queryproto.ErrUnwitnessed):
		return &exitError{code: exitUnwitnessed, msg: "too few witnesses cosigned the record's block, so no record is shown:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	case errors.Is(err, queryproto.ErrNotFound):
		return &exitError{code: exitNotFound, msg: "no record under this order ID: " + strings.TrimPrefix(err.Error(), queryproto.ErrNotFound.Error()+": ")}
	case errors.Is(err, queryproto.ErrBadRequest):
		return usageErr(err.Error())
	case err != nil:
		return err
	}
	v := lookupView(g, res)
	if asJSON {
		return printJSON(out, v)
	}
	printPayment(out, &v.Records[0], "verified")
	printNotes(out, res)
	return nil
}

// lookupPayment runs a light client for one lookup: a host with a fresh
// identity in DHT client mode, the genesis as the only trust.
func lookupPayment(ctx context.Context, g *config.Genesis, orderID string, lf lookupFlags) (*queryproto.LookupResult, error) {
	lc, from, closeFn, err := newLight(g, lf)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return lc.Lookup(ctx, orderID, from...)
}

// newLight starts a light client: a host with a fresh identity in DHT
// client mode, the genesis as the only trust, and the peers to ask (none:
// any). closeFn stops the host.
func newLight(g *config.Genesis, lf lookupFlags) (lc *queryproto.LightClient, from []peer.ID, closeFn func(), err error) {
	key, err := config.GenerateKey()
	if err != nil {
		return nil, nil, nil, err
	}
	var boot []peer.AddrInfo
	for _, a := range lf.peers {
		ai, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, nil, nil, usageErr(fmt.Sprintf("--peer %q: %v", a, err))
		}
		boot, from = append(boot, *ai), append(from, ai.ID)
	}
	if len(from) == 0 {
		for _, m := range g.MemberList() {
			if len(m.Addrs) > 0 {
				boot = append(boot, m.AddrInfo())
			}
		}
	}
	n, err := p2p.New(p2p.Config{
		Params: g.ChainParams(), GenesisHash: g.Hash(), Members: g.Members(), Key: key,
		Bootstrap: boot, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	opts := []queryproto.LightOption{queryproto.WithPeerTimeout(lf.peerTimeout), queryproto.WithAnswers(lf.answers), queryproto.WithWitnesses(lf.witnesses),
		queryproto.WithMaxPeers(max(queryproto.DefaultMaxPeers, lf.answers, len(from)))}
	lc, err = queryproto.NewLightClient(n.Host(), queryproto.Genesis{NetworkID: g.NetworkID(), Members: g.Members(), Bootstrap: boot, Governance: lightGovernance(g)}, opts...)
	if err != nil {
		n.Close()
		return nil, nil, nil, err
	}
	return lc, from, func() { n.Close() }, nil
}

// issuerName is the genesis name of a member, or its peer ID.
func issuerName(g *config.Genesis, iss chain.IssuerID) string {
	id, err := peerid.FromIssuer(iss)
	if err != nil {
		return fmt.Sprintf("%x", iss[:4])
	}
	if m, ok := g.MemberPeers()[id]; ok {
		return fmt.Sprintf("%s (%s)", m.Name, id)
	}
	return id.String()
}

// lookupView shows every record a lookup verified.
func lookupView(g *config.Genesis, res *queryproto.LookupResult) *api.PaymentLookup {
	members := g.MemberPeers()
	v := &api.PaymentLookup{OrderID: res.OrderID, Records: make([]api.PaymentView, 0, len(res.Payments)), Forks: []api.ForkStatus{}}
	issuers := make(map[chain.IssuerID]bool)
	for _, pay := range res.Payments {
		issuer, _ := peerid.FromIssuer(pay.Issuer)
		pv := node.PaymentView(pay.Record, issuer.String(), members[issuer].Name, pay.Height, pay.Header.Hash.String())
		applyCorrections(pv, &pay)
		pv.Peer = pay.Peer.String()
		pv.Witnesses = witnessesOf(g, res.OrderID, &pay)
		pv.Forked = pay.Forked
		for _, p := range pay.Peers {
			pv.Peers = append(pv.Peers, p.String())
		}
		v.Records = append(v.Records, *pv)
		issuers[pay.Issuer] = true
	}
	v.Conflict = len(issuers) > 1
	for _, f := range res.Forks {
		if f.Evidence == nil {
			continue // two blocks of one chain holding the order ID: in the message
		}
		issuer, _ := peerid.FromIssuer(f.Issuer)
		fs := api.ForkStatus{Issuer: issuer.String(), Name: members[issuer].Name, Height: f.Evidence.A.Height,
			Hashes: []string{f.Evidence.A.Hash.String(), f.Evidence.B.Hash.String()}}
		for _, p := range f.ServedBy {
			fs.ServedBy = append(fs.ServedBy, p.String())
		}
		v.Forks = append(v.Forks, fs)
	}
	return v
}

// printLookupForks prints each fork's proof: the issuer, the height and the two
// header hashes, and the peers that served the evidence.
func printLookupForks(out io.Writer, g *config.Genesis, forks []queryproto.Fork) {
	fmt.Fprintf(out, "FORKED: %d issuer(s) of these records signed two different blocks; their records are not to be relied on.\n", len(forks))
	for _, f := range forks {
		fmt.Fprintf(out, "\nfork of %s\n", issuerName(g, f.Issuer))
		if f.Evidence == nil {
			fmt.Fprintf(out, "  two payments under this order ID in one chain: block %d %s\n", f.A.Height, f.A.Hash)
			fmt.Fprintf(out, "                                             and block %d %s\n", f.B.Height, f.B.Hash)
			continue
		}
		fmt.Fprintf(out, "  height    %d\n", f.Evidence.A.Height)
		fmt.Fprintf(out, "  header    %s\n", f.Evidence.A.Hash)
		fmt.Fprintf(out, "  header    %s\n", f.Evidence.B.Hash)
		if len(f.ServedBy) == 0 {
			fmt.Fprintln(out, "  evidence  seen by this lookup in the peers' proofs and heads (both signatures checked)")
			continue
		}
		ids := make([]string, len(f.ServedBy))
		for i, p := range f.ServedBy {
			ids[i] = p.String()
		}
		fmt.Fprintf(out, "  evidence  served by %s (not trusted: both signatures checked)\n", strings.Join(ids, ", "))
	}
}

// printPayment prints one record in full.
func printPayment(out io.Writer, v *api.PaymentView, what string) {
	fmt.Fprintf(out, "payment %s — %s\n", v.OrderID, what)
	fmt.Fprintf(out, "  issuer    %s (%s), block %d %.16s\n", v.IssuerName, v.Issuer, v.Height, v.BlockHash)
	fmt.Fprintf(out, "  category  %s, period %s\n", v.Category, v.Period)
	fmt.Fprintf(out, "  amount    %s %s\n", minor(v.AmountMinor), v.Currency)
	fmt.Fprintf(out, "  paid at   %s\n", paidLine(v))
	if item := joinNonEmpty(v.Item, labelled("receipt ", v.ReceiptNo)); item != "" {
		fmt.Fprintf(out, "  item      %s\n", item)
	}
	if w := v.Witnesses; w != nil {
		fmt.Fprintf(out, "  witnessed %d members other than the issuer cosigned a head covering block %d\n", w.Count, v.Height)
		printWitnessHeads(out, w)
	}
	if len(v.Peers) > 0 {
		fmt.Fprintf(out, "  served by %s (not trusted: signature and proof checked)\n", strings.Join(v.Peers, ", "))
	}
	printHistory(out, v)
}

// paidLine is when a payment was made (in UTC: the record keeps the
// instant, not the offset it was written in), and through which channel
// and region, each left out when the record has none.
func paidLine(v *api.PaymentView) string {
	return joinNonEmpty(v.PaidAt.Format(time.RFC3339)+labelled(" via ", v.Channel), labelled("region ", v.Region))
}

// labelled is label+value, or "" without a value.
func labelled(label, value string) string {
	if value == "" {
		return ""
	}
	return label + value
}

// joinNonEmpty joins the non-empty parts with ", ".
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// printNotes says which peers were behind, said NOT_FOUND, or gave no
// answer.
func printNotes(out io.Writer, res *queryproto.LookupResult) {
	for _, l := range res.Behind {
		how := fmt.Sprintf("its head of that chain is at height %d", l.Head)
		if l.CaughtUp {
			how = "it served the record when asked again"
		}
		fmt.Fprintf(out, "  note: peer %s was behind on issuer %s's chain (record in block %d; %s)\n", l.Peer, l.Issuer.Short(), l.Height, how)
	}
	for _, p := range res.NotFound {
		fmt.Fprintf(out, "  note: peer %s answered NOT_FOUND\n", p)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(out, "  note: peer %s gave no answer: %v\n", f.Peer, f.Err)
	}
}

// minor formats an amount in minor units as units.cents.
func minor(v uint64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }
