package queryproto

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/gate"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Server answers the query protocol on a member's host.
type Server struct {
	cfg     Config
	self    chain.IssuerID
	proto   protocol.ID
	limiter *limiter
	// memberPeers are the peer IDs of the members, for the rate limits.
	memberPeers map[peer.ID]bool
	stats       serverCounters
	gate        gate.Gate // closed by Close, before the store is
	workers     *workers  // run the requests' decoding, reads and encoding (workers.go)

	ctx    context.Context
	cancel context.CancelFunc
}

// NewServer checks cfg and registers the protocol handler on cfg.Host.
// Close removes it.
func NewServer(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:   cfg,
		self:  chain.IssuerOf(cfg.Key.Public().(ed25519.PublicKey)),
		proto: p2p.QueryProtocol(cfg.NetworkID),
		limiter: newLimiter(limits{
			peerRate: cfg.PeerRate, peerBurst: float64(cfg.PeerBurst),
			membersRate: cfg.MembersRate, membersBurst: float64(cfg.MembersBurst),
			clientsRate: cfg.ClientsRate, clientsBurst: float64(cfg.ClientsBurst),
		}, cfg.Now()),
		memberPeers: make(map[peer.ID]bool, len(cfg.Members)),
	}
	for iss := range cfg.Members {
		if id, err := peerid.FromIssuer(iss); err == nil {
			s.memberPeers[id] = true
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.workers = startWorkers()
	cfg.Host.SetStreamHandler(s.proto, s.handle)
	return s, nil
}

// Close stops serving: streams being served are cut short, and Close
// returns once no handler uses the store any more.
func (s *Server) Close() error {
	s.cfg.Host.RemoveStreamHandler(s.proto)
	s.cancel()
	s.gate.Close()
	s.workers.stop()
	return nil
}

// handle serves one request: rate limit, capped read, answer, close. Any
// failure to read or write resets the stream.
func (s *Server) handle(st network.Stream) {
	if !s.gate.Enter() {
		s.reset(st) // shutting down
		return
	}
	defer s.gate.Leave()
	if err := st.SetDeadline(time.Now().Add(s.cfg.Timeout)); err != nil {
		s.reset(st)
		return
	}
	remote := st.Conn().RemotePeer()
	if !s.limiter.allow(remote, s.memberPeers[remote], s.cfg.Now()) {
		s.respond(st, failure(querypb.Status_STATUS_RATE_LIMITED, "request budget spent; retry later"))
		return
	}
	data, release, err := readStreamFrame(st, st.Scope(), MaxRequestBytes)
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrMalformed):
		s.respond(st, failure(querypb.Status_STATUS_BAD_REQUEST, err.Error()))
		return
	case errors.Is(err, ErrRateLimited):
		s.respond(st, failure(querypb.Status_STATUS_RATE_LIMITED, "no memory for the request"))
		return
	case err != nil:
		s.reset(st)
		return
	}
	defer release()
	var answer encoded
	s.workers.do(func() { answer = s.encode(s.serve(s.ctx, remote, data)) })
	s.send(st, answer)
}

// serve decodes a request, runs its operation and reports how long that
// took to Config.Observe.
func (s *Server) serve(ctx context.Context, remote peer.ID, data []byte) (resp *querypb.Response) {
	start, op := time.Now(), "invalid"
	if s.cfg.Observe != nil {
		defer func() { s.cfg.Observe(op, resp.Status, time.Since(start)) }()
	}
	req, err := decodeRequest(data)
	if err != nil {
		return failure(statusOf(err), err.Error())
	}
	switch {
	case req.heads:
		op = "heads"
		s.stats.heads.Add(1)
		return s.heads()
	case req.batch != nil:
		op = "payment_batch"
		s.stats.payments.Add(uint64(len(req.batch)))
		// The stream took one token; the rest of the batch takes the others.
		if n := len(req.batch) - 1; n > 0 && !s.limiter.allowN(remote, s.memberPeers[remote], n, s.cfg.Now()) {
			return failure(querypb.Status_STATUS_RATE_LIMITED, fmt.Sprintf("request budget too low for a batch of %d lookups; retry later or send fewer", len(req.batch)))
		}
		return s.paymentBatch(req.batch)
	case req.query != nil:
		op = "credit_query"
		s.stats.credit.Add(1)
		// Only credit queries wait (on the receipt): only they need a
		// context with the stream's deadline.
		ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		return s.creditQuery(ctx, remote, req.query)
	default:
		op = "payment"
		s.stats.payments.Add(1)
		return s.payment(req.lookup)
	}
}

// respond writes resp and closes the stream, reserving the frame's memory
// first.
func (s *Server) respond(st network.Stream, resp *querypb.Response) {
	s.send(st, s.encode(resp))
}

// encoded is a response's frame and status.
type encoded struct {
	frame  []byte // nil: not even an INTERNAL answer could be encoded
	status querypb.Status
}

// encode returns the frame of resp, or of an INTERNAL answer if resp is
// over the cap.
func (s *Server) encode(resp *querypb.Response) encoded {
	frame, err := marshalFrame(resp, MaxResponseBytes)
	if err == nil {
		return encoded{frame, resp.Status}
	}
	s.cfg.Logger.Error("query response over the cap", "err", err)
	frame, _ = marshalFrame(failure(querypb.Status_STATUS_INTERNAL, "response over the cap"), MaxResponseBytes)
	return encoded{frame, querypb.Status_STATUS_INTERNAL}
}

// send writes an encoded response and closes the stream, reserving the
// frame's memory first; a nil frame resets it.
func (s *Server) send(st network.Stream, e encoded) {
	frame := e.frame
	if frame == nil {
		s.reset(st)
		return
	}
	release, err := reserve(st.Scope(), len(frame))
	if err != nil {
		s.reset(st)
		return
	}
	defer release()
	if _, err := st.Write(frame); err != nil {
		s.reset(st)
		return
	}
	s.stats.status[statusIndex(e.status)].Add(1)
	st.Close()
}

func (s *Server) reset(st network.Stream) {
	s.stats.resets.Add(1)
	st.Reset()
}

// failure is a response with a status other than OK.
func failure(status querypb.Status, msg string) *querypb.Response {
	return &querypb.Response{Status: status, Error: msg}
}

// member returns the issuer of a member peer, or an error wrapping
// ErrUnauthorized.
func (s *Server) member(p peer.ID) (chain.IssuerID, error) {
	iss, err := peerid.Issuer(p)
	if members, _, _ := s.epochAt(s.cfg.Now()); err != nil || !members.Contains(iss) {
		return chain.IssuerID{}, fmt.Errorf("%w: credit queries are for members", ErrUnauthorized)
	}
	return iss, nil
}
