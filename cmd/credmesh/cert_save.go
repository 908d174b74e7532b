package main

import (
	"fmt"
	"io"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/queryproto"
)

// saveFlags are query payment's certificate flags.
type saveFlags struct {
	save, qr string
	sealed   bool
}

// saveCertificate writes the certificate of a lookup's one record (and
// its QR code) when asked, saying where on out.
func saveCertificate(out io.Writer, g *config.Genesis, res *queryproto.LookupResult, sf saveFlags, k int) error {
	if sf.save == "" {
		return nil
	}
	if len(res.Payments) != 1 {
		return fmt.Errorf("no certificate written: the lookup verified %d records, a certificate is of one", len(res.Payments))
	}
	c, err := certOf(g, res.OrderID, &res.Payments[0], sf.sealed)
	if err != nil {
		return fmt.Errorf("no certificate written: %w", err)
	}
	if _, err := c.Verify(trustOf(g), k); err != nil {
		return fmt.Errorf("no certificate written: it does not verify: %w", err)
	}
	data, err := c.Marshal()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(sf.save, data); err != nil {
		return fmt.Errorf("writing the certificate: %w", err)
	}
	fmt.Fprintf(out, "saved a payment certificate to %s (%d bytes, %d cosignatures); check it with: credmesh verify %s --genesis GENESIS\n", sf.save, len(data), c.Witnesses(), sf.save)
	if sf.qr == "" {
		return nil
	}
	png, kept, err := qrOf(c, k)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(sf.qr, png); err != nil {
		return fmt.Errorf("writing the QR code: %w", err)
	}
	fmt.Fprintf(out, "saved its QR code to %s (%d of %d cosignatures)\n", sf.qr, kept, c.Witnesses())
	return nil
}
