package records_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"

	"github.com/credmesh/credmesh/records"
)

// sampleCSV is n sample payments as a CSV file.
func sampleCSV(n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"type", "order_id", "payer_kind", "payer_id", "category", "amount_minor", "currency", "period", "paid_at", "channel", "region", "item", "receipt_no"})
	for i := range n {
		r := records.SamplePayment("bench", i, 5000)
		w.Write([]string{r.Type, r.OrderID, r.Payer.Kind, r.Payer.ID, r.Category, strconv.FormatUint(r.AmountMinor, 10), r.Currency, r.Period, r.PaidAt, r.Channel, r.Region, r.Item, r.ReceiptNo})
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkScanCSV reads a CSV file with the Scanner (bounded lines,
// per-line refusal, records filled) against encoding/csv splitting the same
// bytes into fields only, the baseline of the same run.
func BenchmarkScanCSV(b *testing.B) {
	const n = 10_000
	data := sampleCSV(n)
	b.Run("baseline=encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			for {
				if _, err := r.Read(); err == io.EOF {
					break
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("scanner", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			s, err := records.NewScanner("a.csv", bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			for s.Scan() {
				if s.Line().Err != nil {
					b.Fatal(s.Line().Err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
