package pgsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/records"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MaxRowsPerSubject bounds what one credit query reads: a subject with
// more rows is answered unavailable (ErrBadRow), not cut short silently.
const MaxRowsPerSubject = 10_000

// indexTimeout bounds one rebuild of the subject index.
const indexTimeout = 2 * time.Minute

// retryEvery is how soon a failed start or rebuild is tried again.
const retryEvery = 2 * time.Second

// Source reads credit events from PostgreSQL (see doc.go).
type Source struct {
	cfg     Config
	pool    *pgxpool.Pool
	tracker *creditsource.Tracker

	mu struct {
		sync.Mutex
		m   *mapping
		ix  *index
		err error // why m or ix is missing, or the last rebuild failed
	}
	stop chan struct{}
	done chan struct{}
}

var _ creditsource.Source = (*Source)(nil)

// New connects a bounded pool, checks the mapping and builds the subject
// index. A mapping that does not fit is an error wrapping
// creditsource.ErrMapping; a database that cannot be reached is not: the
// source starts unavailable and keeps trying. Close stops it.
func New(ctx context.Context, cfg Config) (*Source, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if _, _, err := cfg.statements(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgconn's parse errors quote no password: the DSN holds none.
		return nil, fmt.Errorf("%w: dsn: %w", creditsource.ErrMapping, err)
	}
	if cfg.Password != "" {
		pc.ConnConfig.Password = cfg.Password
	}
	pc.MaxConns = int32(cfg.MaxConns)
	pc.MinConns = 0
	pc.MaxConnIdleTime = 5 * time.Minute
	pc.HealthCheckPeriod = 30 * time.Second
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > 10*time.Second {
		pc.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pc.ConnConfig.RuntimeParams["application_name"] = "credmesh"
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", creditsource.ErrMapping, err)
	}
	s := &Source{cfg: cfg, pool: pool, tracker: creditsource.NewTracker("postgres", cfg.Now),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.Refresh(ctx); errors.Is(err, creditsource.ErrMapping) {
		pool.Close()
		return nil, err
	} else if err != nil {
		cfg.Logger.Warn("credit source: PostgreSQL not reachable at start; credit queries are answered unavailable until it is", "err", err)
	}
	go s.loop()
	return s, nil
}

// Refresh checks the mapping (until it once fitted) and rebuilds the
// subject index now.
func (s *Source) Refresh(ctx context.Context) error {
	err := s.refresh(ctx)
	s.mu.Lock()
	s.mu.err = err
	s.mu.Unlock()
	return err
}

func (s *Source) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", creditsource.ErrUnavailable, err)
	}
	defer c.Release()
	s.mu.Lock()
	m := s.mu.m
	s.mu.Unlock()
	if m == nil {
		if m, err = describe(ctx, c.Conn(), &s.cfg); err != nil {
			if !errors.Is(err, creditsource.ErrMapping) {
				err = fmt.Errorf("%w: %w", creditsource.ErrUnavailable, err)
			}
			return err
		}
	}
	ix, err := buildIndex(ctx, c.Conn(), m, s.cfg.Secret)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.mu.m, s.mu.ix = m, ix
	s.mu.Unlock()
	s.tracker.Indexed(len(ix.refs))
	if ix.unusable > 0 {
		s.cfg.Logger.Warn("credit source: subject IDs that are not valid IDs of their kind are never found", "count", ix.unusable)
	}
	return nil
}

// loop rebuilds the index every IndexRefresh, and retries sooner while
// the last attempt failed.
func (s *Source) loop() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	for {
		s.mu.Lock()
		wait := s.cfg.IndexRefresh
		if s.mu.err != nil {
			wait = min(wait, retryEvery)
		}
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("credit source: rebuilding the subject index", "err", err)
		}
	}
}

// Events reads the subject's rows in a read-only transaction whose
// statement_timeout is what is left of ctx's deadline, capped by
// QueryTimeout.
func (s *Source) Events(ctx context.Context, subject privacy.Ref) ([][]byte, error) {
	out, err := s.events(ctx, subject)
	s.tracker.Record(err)
	return out, err
}

func (s *Source) events(ctx context.Context, subject privacy.Ref) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.mu.Lock()
	m, ix, ixErr := s.mu.m, s.mu.ix, s.mu.err
	s.mu.Unlock()
	if m == nil || ix == nil {
		return nil, fmt.Errorf("%w: not ready (no subject index yet): %w", creditsource.ErrUnavailable, ixErr)
	}
	ids := ix.refs[subject]
	if len(ids) == 0 {
		return nil, nil // no row names the subject
	}
	deadline, _ := ctx.Deadline()
	ms := time.Until(deadline).Milliseconds()
	if ms < 1 {
		return nil, fmt.Errorf("%w: no time left before the query's deadline", creditsource.ErrUnavailable)
	}
	// One round trip: the transaction, its timeout, the statements and
	// the commit go to the server as one pipelined batch. A connection
	// left inside a transaction (a failed batch) is not reused by the
	// pool.
	batch := &pgx.Batch{}
	batch.Queue("BEGIN READ ONLY")
	batch.Queue(fmt.Sprintf("SET LOCAL statement_timeout = %d", ms))
	for _, id := range ids {
		batch.Queue(m.accountsSQL, m.argsFor(id)...)
	}
	batch.Queue("COMMIT")
	br := s.pool.SendBatch(ctx, batch)
	defer br.Close()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return nil, unavailable(ctx, err)
		}
	}
	rr := rowReader{m: m, ctx: records.Context{NetworkID: s.cfg.NetworkID, Issuer: s.cfg.Issuer, Secret: s.cfg.Secret, Now: s.cfg.Now()}}
	evs, err := readSubject(ctx, func(rawID) (pgx.Rows, error) { return br.Query() }, rr, ids, subject)
	if err != nil {
		return nil, err
	}
	if _, err := br.Exec(); err != nil {
		return nil, unavailable(ctx, err)
	}
	if err := br.Close(); err != nil {
		return nil, unavailable(ctx, err)
	}
	return encode(evs)
}

// readSubject reads the rows of a subject's raw IDs, each from query,
// and makes their events, refusing a row of another subject.
func readSubject(ctx context.Context, query func(rawID) (pgx.Rows, error), rr rowReader, ids []rawID, subject privacy.Ref) ([]*chainpb.Entry, error) {
	var evs []*chainpb.Entry
	n := 0
	for _, id := range ids {
		rows, err := query(id)
		if err != nil {
			return nil, unavailable(ctx, err)
		}
		for rows.Next() {
			n++
			if n > MaxRowsPerSubject {
				rows.Close()
				return nil, fmt.Errorf("%w: more than %d rows for one subject", creditsource.ErrBadRow, MaxRowsPerSubject)
			}
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return nil, unavailable(ctx, err)
			}
			e, err := rr.event(vals, n)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !bytes.Equal(e.GetCreditEvent().SubjectRef, subject[:]) {
				rows.Close()
				return nil, badRow(n, e.GetCreditEvent().AccountId, "belongs to another subject: the query must select by @subject_kind and @subject_id")
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, unavailable(ctx, err)
		}
	}
	return evs, nil
}

// encode sorts events by event ID, the order the embedded store keeps
// them in, refuses an ID used twice, and encodes them.
func encode(evs []*chainpb.Entry) ([][]byte, error) {
	slices.SortFunc(evs, func(a, b *chainpb.Entry) int {
		return bytes.Compare([]byte(a.GetCreditEvent().EventId), []byte(b.GetCreditEvent().EventId))
	})
	out := make([][]byte, 0, len(evs))
	for i, e := range evs {
		ev := e.GetCreditEvent()
		if i > 0 && evs[i-1].GetCreditEvent().EventId == ev.EventId {
			return nil, fmt.Errorf("%w: account %q: event ID %q comes in two rows (one row per account per as_of, or distinct event_id)", creditsource.ErrBadRow, ev.AccountId, ev.EventId)
		}
		data, err := chain.EncodeEntry(e)
		if err != nil {
			return nil, fmt.Errorf("%w: account %q: %w", creditsource.ErrBadRow, ev.AccountId, err)
		}
		out = append(out, data)
	}
	return out, nil
}

// unavailable wraps a database failure; past ctx's deadline it says so.
func unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no answer from PostgreSQL by the query's deadline: %w", creditsource.ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", creditsource.ErrUnavailable, err)
}

// Health reports the source's state; while the index is missing it is
// not OK whatever the last query did.
func (s *Source) Health() creditsource.Health {
	h := s.tracker.Health()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.ix == nil && s.mu.err != nil {
		h.OK, h.Err = false, s.mu.err.Error()
	}
	return h
}

// Close stops the index loop and closes the pool.
func (s *Source) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.pool.Close()
	return nil
}
