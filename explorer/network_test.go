package explorer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

const testToken = "explorer-test-token-0123"

// tamper is the test's hook between the browser and the peer: while set,
// it flips one hex digit of the first proof's header signature
// ("signature") or entry ("entry") in every GET /v1/proofs answer.
type tamper struct{ what atomic.Value }

func (tp *tamper) set(what string) { tp.what.Store(what) }

func (tp *tamper) proxy(t *testing.T, apiAddr string) http.Handler {
	target, _ := url.Parse("http://" + apiAddr)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		what, _ := tp.what.Load().(string)
		if what == "" || !strings.HasPrefix(r.Request.URL.Path, "/v1/proofs/") || r.StatusCode != 200 {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		var v api.ProofBundle
		if err := json.Unmarshal(body, &v); err != nil || len(v.Proofs) == 0 {
			t.Errorf("the hook cannot alter %s", body)
		} else {
			field := &v.Proofs[0].Header.Signature
			if what == "entry" {
				field = &v.Proofs[0].Entry
			}
			b := []byte(*field)
			b[len(b)-10] = "01"[boolInt(b[len(b)-10] == '0')]
			*field = string(b)
			body, _ = json.Marshal(v)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	return rp
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The explorer in headless Chromium against three real peers on loopback,
// the first with an API token: it asks for the token, shows every member
// and chain, lists and opens blocks, verifies a payment in the browser and
// names the check an altered proof fails, runs a credit report, shows the
// subject's query records and the month's billing, and the console stays
// free of errors throughout.
func TestExplorerAgainstARealNetwork(t *testing.T) {
	members := []devnet.Member{devnet.DefaultMembers[0], devnet.DefaultMembers[1], devnet.DefaultMembers[2]}
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "explorer-test", Members: members})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(net.Homes[0].ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.API.Token = testToken
	if err := cfg.WriteFile(net.Homes[0].ConfigPath()); err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping the network: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var pays []records.Record
	for i := range 5 {
		pays = append(pays, records.SamplePayment("tax", i, 3))
	}
	submit(t, ctx, api.NewClient(net.Node(0).APIAddr(), testToken), pays)
	submit(t, ctx, api.NewClient(net.Node(1).APIAddr(), ""), records.SampleCreditEvents("bank-a", 0, 1))
	submit(t, ctx, api.NewClient(net.Node(2).APIAddr(), ""), records.SampleCreditEvents("bank-b", 3, 1))
	if err := net.WaitInSync(ctx, nil); err != nil {
		t.Fatal(err)
	}

	if _, err := net.Node(0).Propose(ctx, api.ProposeRequest{Kind: "param", ID: "fee-150", Param: "query_fee", Value: "150 CNY"}); err != nil {
		t.Fatal(err)
	}

	var tp tamper
	base := serve(t, tp.proxy(t, net.Node(0).APIAddr()))
	bctx, console := browser(t, 1280, 800)

	run(t, bctx, "the page asks for the token",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#tokenform"),
		chromedp.SendKeys("#token", testToken),
		submitForm("#token"))
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Name
	}
	run(t, bctx, "every member is shown, connected, with its chain",
		waitJS(`(() => {
			const rows = [...document.querySelectorAll('#members tbody tr')];
			const names = `+jsonOf(t, names)+`;
			return rows.length === 3 && names.every(n => rows.some(r => r.innerText.includes(n)))
				&& rows.filter(r => r.innerText.includes('not connected')).length === 0
				&& [...document.querySelectorAll('#chainlist tbody tr')].filter(r => !r.innerText.includes('no blocks')).length === 3
				&& ['Records accepted', 'Blocks stored', 'Blocks sealed here', 'Queries served'].every(c => document.getElementById('charts').innerText.includes(c));
		})()`))
	if shooting() {
		// A picture with something in its charts: payments keep coming
		// while the page polls.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			c := api.NewClient(net.Node(0).APIAddr(), testToken)
			for i := 100; ; i += 3 {
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
				}
				c.Submit(ctx, []records.Record{records.SamplePayment("tax", i, 3), records.SamplePayment("tax", i+1, 3), records.SamplePayment("tax", i+2+i%5, 3)})
			}
		}()
		run(t, bctx, "the charts fill", waitJS(`+document.getElementById('charts').dataset.points >= 8`))
		close(stop)
		<-done
	}
	run(t, bctx, "a pending membership decision is shown",
		waitJS(`(() => {
			const r = document.querySelector('#decisions tr[data-proposal="fee-150"]');
			return r && r.dataset.state === 'pending' && r.innerText.includes('query_fee = 150 CNY') && r.innerText.includes('1 of 2')
				&& document.getElementById('epoch').innerText.includes('Epoch 0');
		})()`))
	screenshot(t, bctx, "explorer-network")

	taxID := net.Node(0).PeerID().String()
	run(t, bctx, "the chains tab lists a chain's blocks and opens one",
		chromedp.Focus("#tab-network"),
		chromedp.KeyEvent(kb.ArrowRight), // the next tab
		waitJS(`document.getElementById('tab-chains').getAttribute('aria-selected') === 'true' && !document.getElementById('chains').hidden`),
		chromedp.Click(`tr[data-chain="`+taxID+`"] button.link`),
		waitJS(`document.querySelectorAll('#blocks tbody tr').length >= 1`),
		chromedp.Click(`#blocks tbody tr:last-child button.link`),
		waitJS(`[...document.querySelectorAll('#entries tbody tr')].some(r => r.innerText.includes('sealed payment'))`))
	var hash string
	hashOut, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('[data-hash]').dataset.hash`))
	if err != nil {
		t.Fatal(err)
	}
	hash = hashOut
	run(t, bctx, "a search by block hash finds the block",
		chromedp.SendKeys("#q", hash),
		submitForm("#q"),
		waitJS(`document.querySelector('[data-hash]')?.dataset.hash === '`+hash+`'`))

	order := records.SampleOrderID("tax", 2)
	run(t, bctx, "a lookup verifies in the browser",
		chromedp.Click("#tab-payment"),
		chromedp.SendKeys("#order", order),
		submitForm("#order"),
		waitJS(`document.getElementById('verdict-text')?.dataset.ok === 'true'`),
		waitJS(`(() => {
			const c = [...document.querySelectorAll('#checks li')];
			const names = c.map(li => li.dataset.check);
			return c.every(li => li.dataset.ok === 'true') && ['genesis', 'answer decoding', 'proof order', 'header', 'network', 'member',
				'signature', 'inclusion', 'issuer role', 'entry', 'lookup hash', 'sealed record', 'evidence'].every(n => names.includes(n));
		})()`),
		waitJS(`document.getElementById('records').innerText.includes('`+order+`')`))
	screenshot(t, bctx, "explorer-payment")

	// An altered signature fails "signature"; an altered entry, whose
	// leaf no longer leads to the signed root, fails "inclusion".
	for _, tc := range []struct{ alter, check string }{{"signature", "signature"}, {"entry", "inclusion"}} {
		tp.set(tc.alter)
		run(t, bctx, "a proof with an altered "+tc.alter+" fails the "+tc.check+" check, by name",
			script(`document.getElementById('verdict').replaceChildren()`),
			submitForm("#order"),
			waitJS(`document.getElementById('verdict-text')?.dataset.ok === 'false'`),
			waitJS(`document.querySelector('#checks li[data-check="`+tc.check+`"]')?.dataset.ok === 'false'
				&& document.getElementById('verdict-text').innerText.includes('`+tc.check+`')
				&& document.getElementById('records').children.length === 0`))
		if tc.alter == "signature" {
			screenshot(t, bctx, "explorer-altered")
		}
	}
	tp.set("")

	subject := records.SampleResidentID(0)
	run(t, bctx, "the report form returns every member's signed answer",
		chromedp.Click("#tab-credit"),
		chromedp.SendKeys("#sid", subject),
		chromedp.SendKeys("#consent", "CONSENT-EXPLORER-1"),
		submitForm("#sid"),
		waitJS(`(() => {
			const rows = [...document.querySelectorAll('#report-members tbody tr')];
			return rows.length === 2 && rows.every(r => r.dataset.outcome === 'answered')
				&& document.getElementById('report-missing').innerText.includes('Every member asked answered');
		})()`))
	screenshot(t, bctx, "explorer-credit")

	// The receipts of the report are sealed on the lenders' chains and
	// reach the first peer; then its replica records who asked.
	if err := net.WaitInSync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	run(t, bctx, "the subject's query records and the month's billing",
		chromedp.SendKeys("#qrid", subject),
		submitForm("#qrid"),
		waitJS(`[...document.querySelectorAll('#query-records tbody tr')].length === 2
			&& document.getElementById('query-records').innerText.includes('`+members[0].Name+`')`),
		submitForm("#period"),
		waitJS(`document.querySelectorAll('#billing-lines tbody tr').length === 3 && !!document.querySelector('#billing svg rect')`))

	run(t, bctx, "readable at phone width",
		chromedp.EmulateViewport(390, 844),
		chromedp.Click("#tab-payment"),
		waitJS(`document.documentElement.scrollWidth <= 390 + 1`)) // no sideways scrolling of the page
	screenshot(t, bctx, "explorer-phone")
	console.check(t)
}

func submit(t *testing.T, ctx context.Context, c *api.Client, recs []records.Record) {
	t.Helper()
	resp, err := c.Submit(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Refused > 0 || resp.Duplicates > 0 {
		t.Fatalf("not all accepted (%d refused, %d duplicates): %+v", resp.Refused, resp.Duplicates, resp.Results)
	}
}

// script runs JavaScript in the page for its effect.
func script(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(`+js+`, true)`))
		return err
	})
}

// submitForm submits the form of a field as pressing Enter in it does:
// the page's submit handler runs (chromedp.Submit's form.submit() skips it).
func submitForm(field string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector('`+field+`').form.requestSubmit(), true)`))
		return err
	})
}
