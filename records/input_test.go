package records_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/records"
)

const header = "type,order_id,payer_kind,payer_id,category,amount_minor,currency,period,paid_at\n"

func row(order, amount string) string {
	return "payment," + order + ",cn-rid," + rid + ",pension," + amount + ",CNY,2026-10,2026-10-15T09:30:00Z\n"
}

func jsonRow(order string) string {
	return `{"type":"payment","order_id":"` + order + `","payer":{"kind":"cn-rid","id":"` + rid + `"},"category":"tax","amount_minor":1,"currency":"CNY","period":"2026-10","paid_at":"2026-10-15T09:30:00Z"}` + "\n"
}

// parse reads a whole file and fails the test on a file-level error.
func parse(t *testing.T, name, in string) []records.Line {
	t.Helper()
	lines, err := records.ParseFile(name, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// want checks which line numbers parsed and which were refused with a
// message containing every one of the given words.
func want(t *testing.T, lines []records.Line, ok []int, refused map[int][]string) {
	t.Helper()
	if len(lines) != len(ok)+len(refused) {
		t.Fatalf("%d lines, want %d: %+v", len(lines), len(ok)+len(refused), lines)
	}
	good := map[int]bool{}
	for _, n := range ok {
		good[n] = true
	}
	prev := 0
	for _, l := range lines {
		if l.Num <= prev {
			t.Errorf("line %d after line %d: not in file order", l.Num, prev)
		}
		prev = l.Num
		switch {
		case good[l.Num] && l.Err != nil:
			t.Errorf("line %d refused: %v", l.Num, l.Err)
		case good[l.Num]:
		case refused[l.Num] == nil:
			t.Errorf("unexpected line %d: %+v", l.Num, l)
		case l.Err == nil || !errors.Is(l.Err, records.ErrInvalid):
			t.Errorf("line %d not refused: %+v", l.Num, l)
		default:
			for _, w := range refused[l.Num] {
				if !strings.Contains(l.Err.Error(), w) {
					t.Errorf("line %d: %q does not say %q", l.Num, l.Err, w)
				}
			}
			noGoTypes(t, l.Err.Error())
		}
	}
}

func noGoTypes(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range []string{"Go ", "struct", "uint64", "uint32", "records.", "*records", "json: "} {
		if strings.Contains(msg, bad) {
			t.Errorf("%q speaks Go (%q)", msg, bad)
		}
	}
}

func TestCSVUnbalancedQuoteRefusesOnlyItsLine(t *testing.T) {
	in := header + row("PAY-2026-000000001", "1") +
		`payment,"PAY-2026-000000002,cn-rid,` + rid + ",pension,1,CNY,2026-10,2026-10-15T09:30:00Z\n" +
		row("PAY-2026-000000003", "1") + row("PAY-2026-000000004", "1")
	want(t, parse(t, "a.csv", in), []int{2, 4, 5}, map[int][]string{3: {"quote", "not closed"}})
}

func TestCSVQuotedFieldMaySpanLines(t *testing.T) {
	in := "type,order_id,payer_kind,payer_id,category,amount_minor,currency,period,paid_at,item\n" +
		strings.TrimSuffix(row("PAY-2026-000000001", "1"), "\n") + ",\"two\nlines, \"\"quoted\"\"\"\n" +
		strings.TrimSuffix(row("PAY-2026-000000002", "1"), "\n") + ",x\n"
	lines := parse(t, "a.csv", in)
	want(t, lines, []int{2, 4}, nil)
	if lines[0].Record.Item != "two\nlines, \"quoted\"" {
		t.Fatalf("item %q", lines[0].Record.Item)
	}
}

func TestCSVQuoteInsideAnUnquotedValue(t *testing.T) {
	in := header + "payment,PAY\"2026-000000001,cn-rid," + rid + ",pension,1,CNY,2026-10,2026-10-15T09:30:00Z\n" + row("PAY-2026-000000002", "1")
	want(t, parse(t, "a.csv", in), []int{3}, map[int][]string{2: {"order_id", "quote", "position 4"}})
}

func TestHugeFieldRefusesItsLineOnly(t *testing.T) {
	huge := strings.Repeat("x", 17<<20)
	csvIn := header + row("PAY-2026-000000001", "1") + row(huge, "1") + row("PAY-2026-000000003", "1")
	want(t, parse(t, "a.csv", csvIn), []int{2, 4}, map[int][]string{3: {"over the limit of 65536"}})
	jsonIn := jsonRow("PAY-2026-000000001") + jsonRow(huge) + jsonRow("PAY-2026-000000003")
	want(t, parse(t, "a.jsonl", jsonIn), []int{1, 3}, map[int][]string{2: {"over the limit of 65536"}})
	// Just over 64 KiB is over; just under is read.
	long := jsonRow(strings.Repeat("y", records.MaxLineBytes))
	want(t, parse(t, "a.jsonl", long+jsonRow("PAY-2026-000000002")), []int{2}, map[int][]string{1: {"bytes, over the limit"}})
}

func TestJSONLineMistakes(t *testing.T) {
	good := strings.TrimSuffix(jsonRow("PAY-2026-000000001"), "\n")
	in := good + good + "\n" + // two objects on one line
		"null\n" +
		strings.Replace(good, `"amount_minor":1,`, "", 1) + "\n" +
		strings.Replace(good, `"amount_minor":1`, `"amount_minor":null`, 1) + "\n" +
		strings.Replace(good, `"amount_minor":1`, `"amount_minor":"ten"`, 1) + "\n" +
		strings.Replace(good, `"amount_minor":1`, `"amount_minor":-5`, 1) + "\n" +
		strings.Replace(good, `"id":"`+rid+`"`, `"id":110105194912310021`, 1) + "\n" +
		strings.Replace(good, `"category"`, `"colour":"red","category"`, 1) + "\n" +
		`{"type":"payment",` + "\n" +
		good + "\n"
	lines := parse(t, "a.jsonl", in)
	want(t, lines, []int{10}, map[int][]string{
		1: {"second JSON value", "column " + strconv.Itoa(len(good)+1), "one record per line"},
		2: {"null is not a record"},
		3: {"amount_minor", "required"},
		4: {"amount_minor", "null"},
		5: {"amount_minor", "string", "whole number"},
		6: {"amount_minor", "-5", "whole number"},
		7: {"payer.id", "number", "string"},
		8: {"colour", "unknown field", "order_id"},
		9: {"not closed"},
	})
	if strings.Contains(lines[6].Err.Error(), "110105") {
		t.Errorf("the error quotes the ID: %v", lines[6].Err)
	}
}

func TestCSVRequiredAndDuplicatedColumns(t *testing.T) {
	noAmount := strings.Replace(header, "amount_minor,", "", 1) + "payment,PAY-2026-000000001,cn-rid," + rid + ",pension,CNY,2026-10,2026-10-15T09:30:00Z\n"
	if _, err := records.ParseCSV(strings.NewReader(noAmount)); err == nil || !strings.Contains(err.Error(), "no amount_minor column") {
		t.Fatalf("no amount column: %v", err)
	}
	dup := strings.Replace(header, "currency", "currency,amount_minor", 1)
	if _, err := records.ParseCSV(strings.NewReader(dup)); err == nil || !strings.Contains(err.Error(), `"amount_minor" appears twice (columns 6 and 8)`) {
		t.Fatalf("duplicated column: %v", err)
	}
	in := header + row("PAY-2026-000000001", "") + row("PAY-2026-000000002", "12.50") + row("PAY-2026-000000003", "0")
	want(t, parse(t, "a.csv", in), []int{4}, map[int][]string{2: {"amount_minor", "required", "empty"}, 3: {"amount_minor", `"12.50"`, "1250"}})
	// A credit event needs its outstanding amount.
	ev := "type,event_id,subject_kind,subject_id,account_id,kind,amount_minor,currency,occurred_at\n" +
		"credit_event,EV-1,cn-rid," + rid + ",LN-1,opened,100,CNY,2026-10-01T00:00:00Z\n"
	want(t, parse(t, "a.csv", ev), nil, map[int][]string{2: {"outstanding_minor", "required", "no outstanding_minor column"}})
}

func TestPlausibilityInTheUsersWords(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	c := ctx
	c.Now = now
	cases := map[string]struct {
		edit func(*records.Record)
		says []string
	}{
		"paid in 2099":      {func(r *records.Record) { r.PaidAt = "2099-10-15T09:30:00Z" }, []string{"paid_at", "2099-10-15T09:30:00Z", "future", "the clock, 2026-12-02 10:00 UTC"}},
		"paid in two days":  {func(r *records.Record) { r.PaidAt = "2026-12-04T10:00:00Z" }, []string{"paid_at", "future"}},
		"a space":           {func(r *records.Record) { r.OrderID = "PA Y-2026-000000001" }, []string{"order_id contains a space at position 3", "allowed: letters, digits"}},
		"a full-width char": {func(r *records.Record) { r.OrderID = "PAY－2026-000000001" }, []string{"order_id", "position 4"}},
		"short":             {func(r *records.Record) { r.OrderID = "PAY-1" }, []string{"order_id", "5 characters", "8 to 128"}},
		"no offset":         {func(r *records.Record) { r.PaidAt = "2026-10-15T09:30:00" }, []string{"paid_at", "offset is missing"}},
		"a bad month":       {func(r *records.Record) { r.Period = "2026-13" }, []string{"period", `"2026-13"`, "YYYY-MM"}},
		"no category":       {func(r *records.Record) { r.Category = "" }, []string{"category", "required", "pension"}},
		"a bad currency":    {func(r *records.Record) { r.Currency = "yuan" }, []string{"currency", `"yuan"`, "ISO 4217"}},
		"a tab in region":   {func(r *records.Record) { r.Region = "44\t0305" }, []string{"region", "U+0009", "position 3"}},
	}
	for name, tc := range cases {
		r := payment()
		tc.edit(&r)
		_, err := r.Entry(c)
		if !errors.Is(err, records.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, w := range tc.says {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", name, err, w)
			}
		}
		noGoTypes(t, err.Error())
		if strings.Contains(err.Error(), "000000001") {
			t.Errorf("%s: the error quotes the order ID: %v", name, err)
		}
	}
	// Within a day ahead (another time zone, a fast clock) is accepted.
	r := payment()
	r.PaidAt = "2026-12-03T09:00:00Z"
	if _, err := r.Entry(c); err != nil {
		t.Fatal(err)
	}
	ev := records.Record{Type: records.TypeCreditEvent, EventID: "EV-1", Subject: &records.Subject{ID: rid},
		AccountID: "LN-1", Kind: "opened", AmountMinor: 5000, OutstandingMinor: 5000, Currency: "CNY", OccurredAt: "2099-10-01T00:00:00Z"}
	if _, err := ev.Entry(c); err == nil || !strings.Contains(err.Error(), "occurred_at") || !strings.Contains(err.Error(), "future") {
		t.Fatalf("an event in 2099: %v", err)
	}
}

func TestNegativeEventRulesInTheUsersWords(t *testing.T) {
	base := records.Record{Type: records.TypeCreditEvent, EventID: "EV-1", Subject: &records.Subject{ID: rid},
		AccountID: "LN-1", Kind: "overdue", AmountMinor: 5000, OutstandingMinor: 5000, Currency: "CNY",
		OccurredAt: "2026-10-01T00:00:00Z", DaysOverdue: 31, ExpiresAt: "2031-10-01T00:00:00Z"}
	cases := map[string]struct {
		edit func(*records.Record)
		says string
	}{
		"no days":       {func(r *records.Record) { r.DaysOverdue = 0 }, "days_overdue: required on an overdue event"},
		"no expiry":     {func(r *records.Record) { r.ExpiresAt = "" }, "expires_at: required on an overdue event"},
		"expiry before": {func(r *records.Record) { r.ExpiresAt = "2026-09-01T00:00:00Z" }, "is not after occurred_at"},
		"six years":     {func(r *records.Record) { r.ExpiresAt = "2032-10-02T00:00:00Z" }, "more than five years after occurred_at"},
		"opened, days":  {func(r *records.Record) { r.Kind, r.ExpiresAt = "opened", "" }, "days_overdue: 31 on an opened event"},
	}
	for name, tc := range cases {
		r := base
		tc.edit(&r)
		_, err := r.Entry(ctx)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v", name, err)
		} else if strings.Contains(err.Error(), "CREDIT_EVENT") || strings.Contains(err.Error(), "_ms") {
			t.Errorf("%s speaks the wire format: %v", name, err)
		}
	}
}

func TestScannerStreams(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range 1000 {
		b.WriteString(row("PAY-2026-000000001", "1"))
	}
	s, err := records.NewScanner("a.csv", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	n, last := 0, int64(0)
	for s.Scan() {
		n++
		if s.Offset() < last {
			t.Fatal("the offset went back")
		}
		last = s.Offset()
	}
	if s.Err() != nil || n != 1000 || last != int64(b.Len()) {
		t.Fatalf("%d lines, offset %d of %d, %v", n, last, b.Len(), s.Err())
	}
}

// Any bytes: no panic, lines in increasing order, every refusal an
// ErrInvalid in words without Go types.
func FuzzScanner(f *testing.F) {
	f.Add([]byte(header+row("PAY-2026-000000001", "1")+"payment,\"x\n\"\"\n"), true)
	f.Add([]byte(jsonRow("PAY-2026-000000001")+"{}{}\nnull\n{\"amount_minor\":\"x\"}\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, asCSV bool) {
		name := "f.jsonl"
		if asCSV {
			name = "f.csv"
		}
		s, err := records.NewScanner(name, strings.NewReader(string(data)))
		if err != nil {
			return
		}
		prev := 0
		for s.Scan() {
			l := s.Line()
			if l.Num <= prev {
				t.Fatalf("line %d after %d", l.Num, prev)
			}
			prev = l.Num
			if l.Err != nil {
				if !errors.Is(l.Err, records.ErrInvalid) {
					t.Fatalf("line %d: %v", l.Num, l.Err)
				}
				// Values are quoted, so only Go's own phrases are looked for.
				if msg := l.Err.Error(); strings.Contains(msg, "Go struct field") || strings.Contains(msg, "Go value of type") {
					t.Fatalf("line %d speaks Go: %s", l.Num, msg)
				}
			}
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
	})
}
