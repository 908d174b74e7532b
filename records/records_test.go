package records_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/records"
)

var ctx = records.Context{NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(0), Secret: bytes.Repeat([]byte{9}, 32)}

const rid = "11010519491231002X"

func payment() records.Record {
	return records.Record{
		Type: records.TypePayment, OrderID: "PAY-2026-000000001", Payer: &records.Subject{Kind: "cn-rid", ID: rid},
		Category: "pension", AmountMinor: 123456, Currency: "CNY", Period: "2026-10",
		PaidAt: "2026-10-15T09:30:00+08:00", Channel: "bank", Region: "440300",
	}
}

func TestPaymentBecomesASealedEntry(t *testing.T) {
	r := payment()
	e, err := r.Entry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := chain.OpenPayment(ctx.NetworkID, r.OrderID, ctx.Issuer, e.GetPayment())
	if err != nil {
		t.Fatal(err)
	}
	if rec.AmountMinor != 123456 || rec.Period != "2026-10" {
		t.Fatalf("opened %v", rec)
	}
	data, _ := chain.EncodeEntry(e)
	if bytes.Contains(data, []byte(rid)) || bytes.Contains(data, []byte("19491231")) {
		t.Fatal("the entry carries the raw ID")
	}
}

func TestInvalidRecordsNameTheField(t *testing.T) {
	cases := map[string]func(*records.Record){
		"type":     func(r *records.Record) { r.Type = "invoice" },
		"payer":    func(r *records.Record) { r.Payer.ID = "110105194912310021" },
		"category": func(r *records.Record) { r.Category = "lottery" },
		"paid_at":  func(r *records.Record) { r.PaidAt = "yesterday" },
		"currency": func(r *records.Record) { r.Currency = "XXY" },
		"order_id": func(r *records.Record) { r.OrderID = "short" },
	}
	for field, edit := range cases {
		r := payment()
		edit(&r)
		_, err := r.Entry(ctx)
		if !errors.Is(err, records.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
		if err != nil && strings.Contains(err.Error(), "1949123100") {
			t.Errorf("%s: the error quotes the ID: %v", field, err)
		}
	}
}

func TestCreditEventRecord(t *testing.T) {
	r := records.Record{Type: records.TypeCreditEvent, EventID: "EV-1", Subject: &records.Subject{ID: rid},
		AccountID: "LN-1", Kind: "overdue", AmountMinor: 5000, OutstandingMinor: 5000, Currency: "CNY",
		OccurredAt: "2026-10-01T00:00:00Z", DaysOverdue: 31, ExpiresAt: "2031-10-01T00:00:00Z"}
	e, err := r.Entry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := chain.ExpiresAt(e); !ok {
		t.Fatal("an overdue event does not expire")
	}
	r.ExpiresAt = ""
	if _, err := r.Entry(ctx); !errors.Is(err, records.ErrInvalid) || !strings.Contains(err.Error(), "expires_at") {
		t.Fatalf("overdue without expiry: %v", err)
	}
}

func TestParseCSV(t *testing.T) {
	in := "type,order_id,payer_kind,payer_id,category,amount_minor,currency,period,paid_at\n" +
		"payment,PAY-2026-000000001,cn-rid," + rid + ",pension,100,CNY,2026-10,2026-10-15T09:30:00Z\n" +
		"payment,PAY-2026-000000002,cn-rid," + rid + ",pension,-5,CNY,2026-10,2026-10-15T09:30:00Z\n" +
		"payment,PAY-2026-000000003,cn-rid\n"
	lines, err := records.ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	if lines[0].Err != nil || lines[0].Num != 2 {
		t.Fatalf("line 2: %+v", lines[0])
	}
	if _, err := lines[0].Record.Entry(ctx); err != nil {
		t.Fatal(err)
	}
	if lines[1].Num != 3 || !strings.Contains(fmtErr(lines[1].Err), "amount_minor") {
		t.Fatalf("line 3: %+v", lines[1])
	}
	if lines[2].Num != 4 || lines[2].Err == nil {
		t.Fatalf("line 4: %+v", lines[2])
	}
	if _, err := records.ParseCSV(strings.NewReader("type,colour\npayment,red\n")); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("unknown column: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseJSONLines(t *testing.T) {
	in := `{"type":"payment","order_id":"PAY-2026-000000001","payer":{"kind":"cn-rid","id":"` + rid + `"},"category":"tax","amount_minor":1,"currency":"CNY","period":"2026-10","paid_at":"2026-10-15T09:30:00Z"}

# a comment
{"type":"payment","colour":"red"}
{not json
`
	lines, err := records.ParseJSONLines(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0].Err != nil || lines[1].Num != 4 || lines[1].Err == nil || lines[2].Num != 5 || lines[2].Err == nil {
		t.Fatalf("%+v", lines)
	}
}

func TestSamplesAreValid(t *testing.T) {
	for n := range 300 {
		r := records.SamplePayment("tax", n, 50)
		if _, err := r.Entry(ctx); err != nil {
			t.Fatalf("sample payment %d: %v", n, err)
		}
		for _, ev := range records.SampleCreditEvents("bank", n, 50) {
			if _, err := ev.Entry(ctx); err != nil {
				t.Fatalf("sample event of loan %d: %v", n, err)
			}
		}
	}
}
