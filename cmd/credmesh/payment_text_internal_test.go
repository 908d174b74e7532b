package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
)

// A payment's text leaves out the fields its record does not have, and
// shows paid_at in UTC, as the record keeps it.
func TestPaymentTextLeavesEmptyFieldsOut(t *testing.T) {
	paid := time.Date(2026, 10, 15, 9, 30, 0, 0, time.FixedZone("", 8*3600))
	for _, tc := range []struct {
		v        api.PaymentView
		want     []string
		wantNone []string
	}{
		{api.PaymentView{PaidAt: paid}, []string{"  paid at   2026-10-15T09:30:00+08:00\n"}, []string{"via", "region", "item", "receipt"}},
		{api.PaymentView{PaidAt: paid, Channel: "bank"}, []string{"paid at   2026-10-15T09:30:00+08:00 via bank\n"}, []string{"region"}},
		{api.PaymentView{PaidAt: paid, Region: "440300"}, []string{"paid at   2026-10-15T09:30:00+08:00, region 440300\n"}, []string{"via"}},
		{api.PaymentView{PaidAt: paid, Channel: "bank", Region: "440300", ReceiptNo: "R-1"},
			[]string{"2026-10-15T09:30:00+08:00 via bank, region 440300\n", "  item      receipt R-1\n"}, nil},
		{api.PaymentView{PaidAt: paid, Item: "pension", ReceiptNo: "R-1"}, []string{"  item      pension, receipt R-1\n"}, nil},
	} {
		tc.v.OrderID, tc.v.Issuer, tc.v.IssuerName, tc.v.Category, tc.v.Period, tc.v.Currency = "PAY-1", "12D3KooW", "Tax", "tax", "2026-10", "CNY"
		var out bytes.Buffer
		printPayment(&out, &tc.v, "verified")
		text := out.String()
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%+v: no %q in\n%s", tc.v, w, text)
			}
		}
		for _, w := range tc.wantNone {
			if strings.Contains(text, w) {
				t.Errorf("%+v: %q in\n%s", tc.v, w, text)
			}
		}
		if strings.Contains(text, ", ,") || strings.Contains(text, " , ") || strings.Contains(text, "via ,") || strings.Contains(text, "served by  ") {
			t.Errorf("empty fields printed:\n%s", text)
		}
	}
}
