package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// Certifier is a backend that makes offline payment certificates
// (docs/PROTOCOL.md 19) from its replica.
type Certifier interface {
	// PaymentCertificate returns the certificate file of the one record
	// under orderID (sealed: without the order ID). ErrNotFound when the
	// replica holds none, ErrConflict when records of two or more
	// issuers are held (a certificate is of one).
	PaymentCertificate(orderID string, sealed bool) ([]byte, error)
}

// CertificateContentType is the media type of a certificate file.
const CertificateContentType = "application/vnd.credmesh.cert"

// certificate answers GET /v1/payments/{order}/certificate.
func (s *Server) certificate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.backend.(Certifier)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "this peer does not make certificates")
		return
	}
	sealed := false
	switch r.URL.Query().Get("sealed") {
	case "", "false":
	case "true":
		sealed = true
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "sealed must be true or false")
		return
	}
	data, err := c.PaymentCertificate(r.PathValue("order"), sealed)
	if errors.Is(err, ErrConflict) {
		writeError(w, http.StatusConflict, "conflict", err.Error())
		return
	}
	if err != nil {
		writeBackendError(w, err)
		return
	}
	w.Header().Set("Content-Type", CertificateContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="payment.cert"`)
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// PaymentCertificate fetches the certificate file of the record under
// orderID (GET /v1/payments/{order}/certificate).
func (c *Client) PaymentCertificate(ctx context.Context, orderID string, sealed bool) ([]byte, error) {
	path := "/v1/payments/" + url.PathEscape(orderID) + "/certificate"
	if sealed {
		path += "?sealed=true"
	}
	var out []byte
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}
