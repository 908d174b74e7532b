package records

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/privacy"
)

// SampleResidentID returns a well-formed, made-up resident ID numbered n:
// a fixed region code, a birth date between 1960 and 2004, and a valid
// check character.
func SampleResidentID(n int) string {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (n*7919)%(45*365))
	first := fmt.Sprintf("440305%s%03d", birth.Format("20060102"), n%1000)
	return first + string(privacy.ResidentIDCheck(first))
}

// sampleOrderID is an unguessable-looking order ID, unique per issuer
// name and n.
func sampleOrderID(issuer string, n int) string {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(issuer), uint64(n)))
	return fmt.Sprintf("SI%x", h[:10])
}

// SampleOrderID is the order ID of SamplePayment(issuer, n).
func SampleOrderID(issuer string, n int) string { return sampleOrderID(issuer, n) }

var sampleCategories = []string{"pension", "medical", "unemployment", "work_injury", "maternity", "tax"}

// SamplePayment returns payment n of a made-up collector: one of subjects
// people, a month of 2026.
func SamplePayment(issuer string, n, people int) Record {
	month := 1 + n%10
	return Record{
		Type:        TypePayment,
		OrderID:     sampleOrderID(issuer, n),
		Payer:       &Subject{Kind: string(privacy.KindResidentID), ID: SampleResidentID(n % people)},
		Category:    sampleCategories[n%len(sampleCategories)],
		AmountMinor: uint64(20_000 + (n*37)%180_000),
		Currency:    "CNY",
		Period:      fmt.Sprintf("2026-%02d", month),
		PaidAt:      time.Date(2026, time.Month(month), 1+n%27, 9, 30, 0, 0, time.UTC).Format(time.RFC3339),
		Channel:     "bank",
		Region:      "440305",
		Item:        "城镇职工基本养老保险",
		ReceiptNo:   fmt.Sprintf("R%010d", n),
	}
}

// SampleCreditEvents returns the events of loan n of a made-up lender to
// one of people: opened, and for every third loan an overdue event.
func SampleCreditEvents(lender string, n, people int) []Record {
	subject := &Subject{Kind: string(privacy.KindResidentID), ID: SampleResidentID((n * 13) % people)}
	opened := time.Date(2026, time.Month(1+n%9), 1+n%27, 10, 0, 0, 0, time.UTC)
	account := fmt.Sprintf("%s-LN-%06d", lender, n)
	principal := uint64(1_000_000 + (n*7919)%9_000_000)
	out := []Record{{
		Type: TypeCreditEvent, EventID: account + "-open", Subject: subject, AccountID: account,
		Kind: "opened", AmountMinor: principal, OutstandingMinor: principal, Currency: "CNY",
		OccurredAt: opened.Format(time.RFC3339),
	}}
	if n%3 == 0 {
		at := opened.AddDate(0, 2, 0)
		out = append(out, Record{
			Type: TypeCreditEvent, EventID: account + "-overdue", Subject: subject, AccountID: account,
			Kind: "overdue", AmountMinor: principal / 10, OutstandingMinor: principal, Currency: "CNY",
			OccurredAt: at.Format(time.RFC3339), DaysOverdue: 31 + uint32(n%60),
			ExpiresAt: at.AddDate(5, 0, 0).Format(time.RFC3339),
		})
	}
	return out
}
