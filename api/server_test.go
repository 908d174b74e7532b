package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// fixed is a Backend that answers from fixed values: enough to test the
// HTTP layer (auth, errors) of this package alone.
type fixed struct{}

func (fixed) Submit(context.Context, []records.Record) ([]error, error) { return nil, api.ErrBusy }
func (fixed) Status() api.Status                                        { return api.Status{Name: "fixed"} }
func (fixed) Block(string, uint64) (*api.BlockView, error)              { return nil, api.ErrNotFound }
func (fixed) Report(context.Context, api.ReportRequest) (*api.ReportView, error) {
	return nil, api.ErrBadRequest
}
func (fixed) Billing(string) (*api.BillingView, error) { return nil, api.ErrBadRequest }
func (fixed) ImportCredit(context.Context, []records.Record, bool) ([]error, error) {
	return nil, fmt.Errorf("%w: the disk is nearly full", api.ErrInsufficientStorage)
}
func (fixed) Payment(order string) (*api.PaymentLookup, error) {
	switch order {
	case "ORDER-ONE-ISSUER":
		return &api.PaymentLookup{OrderID: order, Records: []api.PaymentView{{OrderID: order, Issuer: "A", AmountMinor: 555500, Verified: true}}}, nil
	case "ORDER-TWO-ISSUERS":
		return &api.PaymentLookup{OrderID: order, Conflict: true, Records: []api.PaymentView{
			{OrderID: order, Issuer: "A", IssuerName: "Tax Bureau", AmountMinor: 555500, Verified: true},
			{OrderID: order, Issuer: "B", IssuerName: "Lender", AmountMinor: 1, Verified: true},
		}}, nil
	}
	return nil, api.ErrNotFound
}

func serve(t *testing.T, token string) string {
	t.Helper()
	s, err := api.Listen(fixed{}, api.Options{Listen: "127.0.0.1:0", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s.Addr()
}

func TestTokenIsRequiredWhenSet(t *testing.T) {
	addr := serve(t, "0123456789abcdef-token")
	var apiErr *api.Error
	if _, err := api.NewClient(addr, "").Status(context.Background()); !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "unauthorized" {
		t.Fatalf("without a token: %v", err)
	}
	if _, err := api.NewClient(addr, "wrong-token-0123456").Status(context.Background()); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("with a wrong token: %v", err)
	}
	st, err := api.NewClient(addr, "0123456789abcdef-token").Status(context.Background())
	if err != nil || st.Name != "fixed" {
		t.Fatalf("with the token: %v %v", st, err)
	}
}

func TestBackendErrorsMapToStatuses(t *testing.T) {
	c := api.NewClient(serve(t, ""), "")
	var apiErr *api.Error
	if _, err := c.Submit(context.Background(), []records.Record{{Type: "payment"}}); !errors.As(err, &apiErr) || apiErr.Status != 503 {
		t.Fatalf("busy backend: %v", err)
	}
	if _, err := c.Block(context.Background(), "x", 1); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("missing block: %v", err)
	}
	_, err := c.ImportCredit(context.Background(), []records.Record{{Type: "credit_event"}}, false)
	if !errors.As(err, &apiErr) || apiErr.Status != 507 || apiErr.Code != "insufficient_storage" || !strings.Contains(err.Error(), "the disk is nearly full") {
		t.Fatalf("full disk: %v", err)
	}
}

// GET /v1/payments/{order_id}: 200 with the one issuer's record; 409 with
// every record and "conflict": true when two issuers hold the order ID;
// 404 when there is none.
func TestPaymentLookupShowsEveryRecord(t *testing.T) {
	addr := serve(t, "")
	c := api.NewClient(addr, "")
	ctx := context.Background()
	one, err := c.Payment(ctx, "ORDER-ONE-ISSUER")
	if err != nil || one.Conflict || len(one.Records) != 1 || one.Records[0].AmountMinor != 555500 || one.Error != nil {
		t.Fatalf("one issuer: %+v %v", one, err)
	}
	two, err := c.Payment(ctx, "ORDER-TWO-ISSUERS")
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 409 || apiErr.Code != "conflict" {
		t.Fatalf("two issuers: %v, want a 409 conflict", err)
	}
	if !two.Conflict || len(two.Records) != 2 || two.Records[0].AmountMinor != 555500 || two.Records[1].AmountMinor != 1 ||
		!strings.Contains(two.Error.Message, "Tax Bureau") || !strings.Contains(two.Error.Message, "Lender") {
		t.Fatalf("two issuers: %+v", two)
	}
	// The raw body is one JSON object with both records and the flag.
	resp, err := http.Get("http://" + addr + "/v1/payments/ORDER-TWO-ISSUERS")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != 409 || raw["conflict"] != true || len(raw["records"].([]any)) != 2 {
		t.Fatalf("raw conflict answer: %d %v %v", resp.StatusCode, raw, err)
	}
	if _, err := c.Payment(ctx, "ORDER-NONE"); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("no record: %v", err)
	}
}
