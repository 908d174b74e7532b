package node

import (
	"strings"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// PaymentView shows an opened payment record; the payer appears only as
// its subject reference.
func PaymentView(r *chainpb.PaymentRecord, issuer, issuerName string, height uint64, blockHash string) *api.PaymentView {
	return &api.PaymentView{
		OrderID: r.OrderId, Issuer: issuer, IssuerName: issuerName, Height: height, BlockHash: blockHash,
		Category:    strings.ToLower(strings.TrimPrefix(r.Category.String(), "PAYMENT_CATEGORY_")),
		AmountMinor: r.AmountMinor, Currency: r.Currency, Period: r.Period, PaidAt: PaidAt(r),
		Channel: r.Channel, Region: r.Region, Item: r.Item, ReceiptNo: r.ReceiptNo, Verified: true,
	}
}

// PaidAt is the record's payment time in the UTC offset it was submitted
// in.
func PaidAt(r *chainpb.PaymentRecord) time.Time {
	t := time.UnixMilli(r.PaidAtMs).UTC()
	if r.PaidAtOffsetMin == 0 {
		return t
	}
	return t.In(time.FixedZone("", int(r.PaidAtOffsetMin)*60))
}
