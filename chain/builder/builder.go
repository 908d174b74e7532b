package builder

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
)

// Errors a submission can get per entry.
var (
	// ErrDuplicate, ErrQueryIDUsed and ErrPoolFull are chain's (see
	// chain.ErrAlreadyAccepted), so that users of a sink of entries need
	// not import the builder to tell them apart.
	ErrDuplicate   = chain.ErrAlreadyAccepted
	ErrQueryIDUsed = chain.ErrQueryIDUsed
	ErrPoolFull    = chain.ErrPoolFull
	ErrClosed      = errors.New("builder: closed")
	// ErrExpired refuses a negative credit event (or a correction that
	// replaces with one) whose expiry is not after now: it would be pruned
	// at once. Blocks already on a chain keep their expired entries; only
	// new submissions are refused.
	ErrExpired = errors.New("builder: the entry's expiry has already passed")
)

// Config configures a Builder.
type Config struct {
	Params chain.Params
	// Members are the genesis members with their roles: Submit refuses an
	// entry outside the issuer's roles (chain.CheckEntry), which every
	// replica would reject.
	Members chain.Members
	// Epoch, if set, gives the members and parameters in force at a time
	// (governance.View), which Submit checks entries against instead of
	// Members and Params: a member admitted after the genesis writes.
	Epoch func(t time.Time) (chain.Members, chain.Params)
	Key   ed25519.PrivateKey
	Store *store.Store
	// Now reads the clock (default time.Now).
	Now func() time.Time
	// MaxPending bounds the entries accepted but not yet sealed (default
	// 64 blocks' worth); beyond it Submit answers ErrPoolFull.
	MaxPending int
	// SealedBuffer is how many persisted blocks may wait to be published
	// before the builder stops sealing (default 64).
	SealedBuffer int
	// Held starts the builder holding: it accepts entries but seals none
	// until Resume (see hold.go). The node holds it until its own chain is
	// recovered from the network.
	Held   bool
	Logger *slog.Logger
}

// Builder builds the issuer's chain. Create it with New and run Run.
type Builder struct {
	cfg    Config
	issuer chain.IssuerID
	submit chan *request
	flush  chan chan error
	hold   chan holdRequest
	sealed chan *chain.Block
	done   chan struct{}

	pending atomic.Int64 // entries in the pool and in flight, readable from any goroutine

	// Owned by Run.
	head    *chain.SignedHeader
	pool    []pooled
	keys    map[string]struct{} // keys of pooled entries
	nextSeq uint64
	since   time.Time // when the oldest pooled entry was accepted
	flight  *flight   // sealed blocks being written, if any
	waiting gathered  // submissions admitted while the flight is in the air
	held    bool      // sealing stopped until Resume

	// After the store refused to seal for lack of disk space: no sealing
	// before retryAt; the condition last logged at diskLoggedAt.
	retryAt, diskLoggedAt time.Time
}

type pooled struct {
	seq   uint64
	data  []byte
	entry *chainpb.Entry
	key   []byte
	// A receipt's second key (chain.QueryIDKey), and the earliest time a
	// block may hold it (its query's time less chain.MaxQueryAge).
	idKey     []byte
	notBefore time.Time
}

// newPooled checks an entry of the issuer's chain as every replica will
// (chain.CheckEntry) for a block sealed at now or, if the entry requires
// it, later (see notBefore); data is its encoding.
func (b *Builder) newPooled(e *chainpb.Entry, data []byte, now time.Time) (pooled, error) {
	p := pooled{data: data, entry: e, key: chain.EntryKey(e), idKey: chain.QueryIDKey(e), notBefore: receiptNotBefore(e)}
	members, params := b.cfg.Members, b.cfg.Params
	if b.cfg.Epoch != nil {
		members, params = b.cfg.Epoch(now)
	}
	if err := chain.CheckEntry(e, b.issuer, members, params, now); err != nil {
		return pooled{}, err
	}
	return p, nil
}

// take marks p's keys as pooled or in flight; release frees them.
func (b *Builder) take(p *pooled) {
	b.keys[string(p.key)] = struct{}{}
	if p.idKey != nil {
		b.keys[string(p.idKey)] = struct{}{}
	}
}

func (b *Builder) release(p *pooled) {
	delete(b.keys, string(p.key))
	if p.idKey != nil {
		delete(b.keys, string(p.idKey))
	}
}

type request struct {
	entries []pooled
	errs    []error
	done    chan struct{}
}

// New loads the issuer's head and pending pool from the store.
func New(cfg Config) (*Builder, error) {
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Key) != ed25519.PrivateKeySize || cfg.Store == nil {
		return nil, errors.New("builder: a key and a store are required")
	}
	if len(cfg.Members) == 0 && cfg.Epoch == nil {
		return nil, errors.New("builder: the members are required, with their roles")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 64 * cfg.Params.MaxBlockEntries
	}
	if cfg.SealedBuffer <= 0 {
		cfg.SealedBuffer = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &Builder{
		cfg:    cfg,
		issuer: chain.IssuerOf(cfg.Key.Public().(ed25519.PublicKey)),
		submit: make(chan *request, 256),
		flush:  make(chan chan error),
		hold:   make(chan holdRequest),
		sealed: make(chan *chain.Block, cfg.SealedBuffer),
		done:   make(chan struct{}),
		keys:   make(map[string]struct{}),
		held:   cfg.Held,
	}
	b.head = cfg.Store.Head(b.issuer)
	pending, next, err := cfg.Store.LoadPending()
	if err != nil {
		return nil, fmt.Errorf("builder: loading pending pool: %w", err)
	}
	now := cfg.Now()
	for _, p := range pending {
		e, err := chain.DecodeEntry(p.Entry, cfg.Params.MaxEntryBytes)
		if err != nil {
			return nil, fmt.Errorf("builder: pending entry %d: %w", p.Seq, err)
		}
		// Accepted entries were checked then; checked again (at a block
		// time the entry allows: our clock may have gone back), an entry
		// that fails would make every replica reject our next block.
		pe, err := b.newPooled(e, p.Entry, maxTime(now, receiptNotBefore(e)))
		if err != nil {
			return nil, fmt.Errorf("builder: pending entry %d: %w", p.Seq, err)
		}
		pe.seq = p.Seq
		b.pool = append(b.pool, pe)
		b.take(&pe)
	}
	b.nextSeq = next
	if err := b.dropSealed(); err != nil {
		return nil, err
	}
	if len(b.pool) > 0 {
		cfg.Logger.Info("resuming pending entries", "count", len(b.pool))
	}
	return b, nil
}

// Pending returns how many accepted entries wait to be sealed.
func (b *Builder) Pending() int { return int(b.pending.Load()) }

// Issuer returns the issuer the builder signs for.
func (b *Builder) Issuer() chain.IssuerID { return b.issuer }

// Sealed delivers every block after it is durable, in height order, for
// publishing. The caller must keep reading it while Run runs.
func (b *Builder) Sealed() <-chan *chain.Block { return b.sealed }

// Submit validates entries — their fields, and chain.CheckEntry: the
// issuer's roles, a receipt's signed query and fee — and waits until each
// is durable in the pending pool or refused. A negative credit event
// whose expiry is not after now is refused with ErrExpired. errs[i] is nil when entry i
// was accepted; err is set only when nothing could be judged (ctx ended,
// builder closed). When ctx ends after the loop took the entries, Submit
// returns ctx's error at once and the entries may still be accepted:
// submitting them again finds them as duplicates.
func (b *Builder) Submit(ctx context.Context, entries []*chainpb.Entry) (errs []error, err error) {
	req := &request{errs: make([]error, len(entries)), done: make(chan struct{})}
	req.entries = make([]pooled, len(entries))
	now := b.cfg.Now()
	for i, e := range entries {
		data, err := chain.EncodeEntry(e)
		if err == nil && len(data) > b.cfg.Params.MaxEntryBytes {
			err = fmt.Errorf("%w: entry of %d bytes, limit %d", chain.ErrOversized, len(data), b.cfg.Params.MaxEntryBytes)
		}
		if exp, ok := chain.ExpiresAt(e); ok && err == nil && !exp.After(now) {
			err = fmt.Errorf("%w: expires_at %s is not after now (%s); the entry would be pruned at once",
				ErrExpired, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		if err == nil {
			req.entries[i], err = b.newPooled(e, data, now)
		}
		if err != nil {
			req.errs[i] = err
		}
	}
	select {
	case b.submit <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.done:
		return nil, ErrClosed
	}
	select {
	case <-req.done:
		return req.errs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.done:
		// Run may have finished this request before stopping.
		select {
		case <-req.done:
			return req.errs, nil
		default:
			return nil, ErrClosed
		}
	}
}

// Flush seals everything pending now and returns once it is durable.
func (b *Builder) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flush <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return ErrClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
