package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/credmesh/credmesh/records"
)

// Client talks to a peer's API; the CLI uses it.
type Client struct {
	Base  string // e.g. http://127.0.0.1:7680
	Token string
	HTTP  *http.Client
}

// NewClient returns a client of the API at addr (host:port).
func NewClient(addr, token string) *Client {
	return &Client{Base: "http://" + addr, Token: token, HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// Error is an error response of the API.
type Error struct {
	Status  int
	Code    string
	Message string
	body    []byte
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code) }

// encodedBody is a request body already encoded.
type encodedBody []byte

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if b, ok := in.(encodedBody); ok {
		body = bytes.NewReader(b)
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("api: %w (is the peer running? start it with: credmesh run --home DIR)", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &Error{Status: resp.StatusCode, Code: "http", Message: string(bytes.TrimSpace(data))}
		}
		return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, body: data}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok { // a body that is not JSON (a certificate)
		*raw = data
		return nil
	}
	return json.Unmarshal(data, out)
}

// Submit posts records.
func (c *Client) Submit(ctx context.Context, recs []records.Record) (*SubmitResponse, error) {
	var out SubmitResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/records", SubmitRequest{Records: recs}, &out)
}

// SubmitEncoded posts records already encoded as JSON objects, as a file
// is streamed in batches: the body is joined from them, not encoded again.
func (c *Client) SubmitEncoded(ctx context.Context, recs []json.RawMessage) (*SubmitResponse, error) {
	var out SubmitResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/records", recordsBody(recs, ""), &out)
}

// ImportCreditEncoded is ImportCredit of records already encoded.
func (c *Client) ImportCreditEncoded(ctx context.Context, recs []json.RawMessage, publish bool) (*SubmitResponse, error) {
	var out SubmitResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/credit/import", recordsBody(recs, fmt.Sprintf(`,"publish":%t`, publish)), &out)
}

// recordsBody is {"records": [recs...]<tail>}.
func recordsBody(recs []json.RawMessage, tail string) encodedBody {
	n := 16 + len(tail)
	for _, r := range recs {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"records":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	b = append(b, ']')
	b = append(b, tail...)
	return append(b, '}')
}

// Status gets the peer's status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.do(ctx, http.MethodGet, "/v1/status", nil, &out)
}

// Block gets one block.
func (c *Client) Block(ctx context.Context, issuer string, height uint64) (*BlockView, error) {
	var out BlockView
	return &out, c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/chains/%s/blocks/%d", issuer, height), nil, &out)
}

// Report asks for a credit report on a subject.
func (c *Client) Report(ctx context.Context, req ReportRequest) (*ReportView, error) {
	var out ReportView
	return &out, c.do(ctx, http.MethodPost, "/v1/report", req, &out)
}

// Billing gets the statement of a period (YYYY-MM).
func (c *Client) Billing(ctx context.Context, period string) (*BillingView, error) {
	var out BillingView
	return &out, c.do(ctx, http.MethodGet, "/v1/billing?period="+url.QueryEscape(period), nil, &out)
}

// ImportCredit sends private credit events (or publishes the negative ones).
func (c *Client) ImportCredit(ctx context.Context, recs []records.Record, publish bool) (*SubmitResponse, error) {
	var out SubmitResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/credit/import", ImportRequest{Records: recs, Publish: publish}, &out)
}

// Payment looks an order ID up in the peer's replica. A conflict (records
// of two or more issuers) returns every record with an *Error of status
// 409 and code "conflict".
func (c *Client) Payment(ctx context.Context, orderID string) (*PaymentLookup, error) {
	var out PaymentLookup
	err := c.do(ctx, http.MethodGet, "/v1/payments/"+url.PathEscape(orderID), nil, &out)
	var ae *Error
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		if jerr := json.Unmarshal(ae.body, &out); jerr != nil {
			return nil, fmt.Errorf("api: a conflict answer that does not decode: %w", jerr)
		}
	}
	return &out, err
}

// AckFork records that the fork of issuer (peer ID) was investigated.
func (c *Client) AckFork(ctx context.Context, issuer, note string) (*ForkStatus, error) {
	var out ForkStatus
	return &out, c.do(ctx, http.MethodPost, "/v1/forks/"+url.PathEscape(issuer)+"/ack", AckRequest{Note: note}, &out)
}
