package node

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/creditsource/pgsource"
	"github.com/prometheus/client_golang/prometheus"
)

// sourceStartTimeout bounds checking a PostgreSQL mapping at start; a
// database that does not answer by then is retried in the background.
const sourceStartTimeout = 30 * time.Second

// openCreditSource opens the credit source config.toml names: the store
// (nil: the query server's default) or PostgreSQL. A mapping that does
// not fit the database is a start-up error; a database that is down is
// not (the source answers unavailable until it is back).
func (n *Node) openCreditSource() (creditsource.Source, error) {
	c := n.opts.Config.CreditSource
	if c.Kind != "postgres" {
		return nil, nil
	}
	src, err := OpenPostgresSource(n.opts.Home, c, n.params.NetworkID, n.self, n.opts.Secret, n.opts.Now, n.log)
	if err != nil {
		return nil, err
	}
	n.log.Info("credit queries are answered from PostgreSQL", "view", c.View, "query", c.Query != "", "max_conns", c.MaxConns)
	return src, nil
}

// OpenPostgresSource opens the PostgreSQL source of a [credit_source]
// section, reading the password from its file or variable.
func OpenPostgresSource(home config.Home, c config.CreditSourceConfig, networkID string, self chain.IssuerID, secret []byte, now func() time.Time, log *slog.Logger) (*pgsource.Source, error) {
	cfg, err := PostgresConfig(home, c, networkID, self, secret, now, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sourceStartTimeout)
	defer cancel()
	src, err := pgsource.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("config.toml [credit_source]: %w", err)
	}
	return src, nil
}

// PostgresConfig is the pgsource configuration of a [credit_source]
// section, the password read from its file or variable (credit source
// check uses it too). Its errors never hold the password.
func PostgresConfig(home config.Home, c config.CreditSourceConfig, networkID string, self chain.IssuerID, secret []byte, now func() time.Time, log *slog.Logger) (pgsource.Config, error) {
	pw, err := c.Password(home)
	if err != nil {
		return pgsource.Config{}, err
	}
	cfg := pgsource.Config{
		DSN: c.DSN, Password: pw, Query: c.Query, SubjectsQuery: c.SubjectsQuery,
		MaxConns: c.MaxConns, QueryTimeout: c.QueryTimeout.D(), IndexRefresh: c.IndexRefresh.D(),
		NetworkID: networkID, Issuer: self, Secret: secret, Now: now, Logger: log,
	}
	if c.Query == "" {
		cfg.View = c.View
	}
	return cfg, nil
}

// closeSource closes the credit source, if the node opened one.
func (n *Node) closeSource() error {
	if n.source == nil {
		return nil
	}
	return n.source.Close()
}

// creditSourceStatus is the source's state for GET /v1/status.
func (n *Node) creditSourceStatus() *api.CreditSourceStatus {
	if n.query == nil {
		return nil
	}
	h := n.query.SourceHealth()
	st := &api.CreditSourceStatus{Kind: h.Kind, OK: h.OK, Error: h.Err, Answers: h.Answers, Failures: h.Failures}
	if !h.Since.IsZero() {
		t := h.Since.UTC()
		st.Since = &t
	}
	if h.Subjects >= 0 {
		s := h.Subjects
		st.Subjects = &s
	}
	if !h.IndexedAt.IsZero() {
		t := h.IndexedAt.UTC()
		st.IndexedAt = &t
	}
	return st
}

// sourceMetrics are the credit source's gauges and counters of /metrics.
func (n *Node) sourceMetrics(gauge func(name, help string, f func() float64) prometheus.Collector, counter func(name, help string, f func() uint64) prometheus.Collector) []prometheus.Collector {
	h := func() creditsource.Health { return n.query.SourceHealth() }
	return []prometheus.Collector{
		gauge("credit_source_up", "1 while the credit source answers (its last query, and its index, succeeded); 0 while credit queries are answered unavailable.", func() float64 { return b2f(h().OK) }),
		counter("credit_source_answers_total", "Credit queries the credit source answered.", func() uint64 { return h().Answers }),
		counter("credit_source_failures_total", "Credit queries the credit source failed (down, slow, bad row): answered unavailable.", func() uint64 { return h().Failures }),
		gauge("credit_source_subjects", "Subjects in the credit source's index (PostgreSQL); -1 for the store.", func() float64 { return float64(h().Subjects) }),
	}
}
