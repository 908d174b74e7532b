package api_test

import (
	"context"
	"errors"
	"fmt"
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
func (fixed) Payment(string) (*api.PaymentView, error) { return nil, api.ErrNotFound }
func (fixed) AckFork(string, string) (*api.ForkStatus, error) {
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
