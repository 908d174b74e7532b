package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// parseGenesis checks the decoded file and builds the Genesis. ix, when
// not nil, gives the position of each field for the errors.
func parseGenesis(file string, w *genesisJSON, ix *jsonIndex) (*Genesis, error) {
	var errs []error
	bad := func(field string, err error, format string, args ...any) {
		line, col := ix.at(field)
		errs = append(errs, &FieldError{File: file, Field: field, Line: line, Column: col, Msg: fmt.Sprintf(format, args...), Err: err})
	}
	g := &Genesis{networkID: w.NetworkID}

	if err := chain.CheckNetworkID(w.NetworkID); err != nil {
		bad("network_id", err, "%v", err)
	}

	if w.GenesisTime == "" {
		bad("genesis_time", nil, "required: an RFC 3339 time such as 2026-01-02T15:04:05Z")
	} else if t, err := time.Parse(time.RFC3339, w.GenesisTime); err != nil || !rfc3339.MatchString(w.GenesisTime) {
		bad("genesis_time", err, "%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", w.GenesisTime)
	} else {
		g.time = t.UTC()
	}

	if len(w.Members) == 0 {
		bad("members", nil, "at least one member is required")
	}
	firstIndex := make(map[peer.ID]int)
	for i, mj := range w.Members {
		at := fmt.Sprintf("members[%d]", i)
		m := Member{Name: mj.Name}
		if id, err := peer.Decode(mj.ID); err != nil {
			bad(at+".id", err, "%q is not a peer ID: %v", mj.ID, err)
		} else if _, err := peerid.Issuer(id); err != nil {
			bad(at+".id", err, "%s", strings.TrimPrefix(err.Error(), "config: "))
		} else if id.String() != mj.ID {
			bad(at+".id", nil, "%q is not written in base58btc: write %s", mj.ID, id)
		} else if j, dup := firstIndex[id]; dup {
			bad(at+".id", nil, "%s is already members[%d]", id, j)
		} else {
			firstIndex[id] = i
			m.ID = id
		}
		if msg := checkName(mj.Name); msg != "" {
			bad(at+".name", nil, "%s", msg)
		}
		if len(mj.Roles) == 0 {
			bad(at+".roles", nil, "at least one of payments, credit, query is required")
		}
		for j, r := range mj.Roles {
			switch role := Role(r); {
			case role != RolePayments && role != RoleCredit && role != RoleQuery:
				bad(fmt.Sprintf("%s.roles[%d]", at, j), nil, "%q is not one of payments, credit, query", r)
			case m.HasRole(role):
				bad(fmt.Sprintf("%s.roles[%d]", at, j), nil, "%q is repeated", r)
			default:
				m.Roles = append(m.Roles, role)
			}
		}
		if t := InstitutionType(mj.InstitutionType); t != "" && !slices.Contains(InstitutionTypes, t) {
			bad(at+".institution_type", nil, "%q is not one of bank, non_bank (or leave it out)", mj.InstitutionType)
		} else {
			m.InstitutionType = t
		}
		for j, s := range mj.Addrs {
			if msg := checkListenAddr(s); msg != "" {
				bad(fmt.Sprintf("%s.addrs[%d]", at, j), nil, "%s", strings.Replace(msg, "the peer ID comes from the key", "the peer ID is the member's id", 1))
				continue
			}
			a, _ := ma.NewMultiaddr(s)
			m.Addrs = append(m.Addrs, a)
		}
		g.members = append(g.members, m)
	}

	g.params = parseParams(w.Params, w.NetworkID, bad)
	if r := g.params.ReplicationFactor; r > 0 && r >= len(g.members) {
		bad("params.replication_factor", nil, "%d needs more than %d members: each chain is held by its issuer and %d others", r, len(g.members), r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

func parseParams(pj paramsJSON, networkID string, bad func(field string, err error, format string, args ...any)) GenesisParams {
	p := GenesisParams{
		MaxBlockEntries: pj.MaxBlockEntries,
		MaxBlockBytes:   pj.MaxBlockBytes,
		MaxEntryBytes:   pj.MaxEntryBytes,
		QueryFeeMinor:   pj.QueryFeeMinor,
		FeeCurrency:     pj.FeeCurrency,

		SubjectSecretFingerprint: pj.SubjectSecretFingerprint,
		ReplicationFactor:        pj.ReplicationFactor,
	}
	durationsOK := true
	duration := func(field, s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			bad(field, err, "%q is not a duration such as \"1s\" or \"500ms\"", s)
			durationsOK = false
		}
		return d
	}
	p.BlockInterval = duration("params.block_interval", pj.BlockInterval)
	p.MaxClockSkew = duration("params.max_clock_skew", pj.MaxClockSkew)
	if pj.WitnessPeriod != "" {
		p.WitnessPeriod = duration("params.witness_period", pj.WitnessPeriod)
	}

	// The bounds are chain's; it names the field that is off in Go, and
	// the error here names it as the file does.
	cp := chain.Params{
		NetworkID:       networkID,
		MaxBlockEntries: p.MaxBlockEntries,
		MaxBlockBytes:   p.MaxBlockBytes,
		MaxEntryBytes:   p.MaxEntryBytes,
		BlockInterval:   p.BlockInterval,
		MaxClockSkew:    p.MaxClockSkew,
		WitnessPeriod:   p.WitnessPeriod,
	}
	if durationsOK && chain.CheckNetworkID(networkID) == nil {
		if err := cp.Validate(); err != nil {
			msg := strings.TrimPrefix(err.Error(), chain.ErrParams.Error()+": ")
			field := "params"
			for goName, key := range paramKeys {
				if rest, ok := strings.CutPrefix(msg, goName+" "); ok {
					field, msg = "params."+key, rest
				}
			}
			for goName, key := range paramKeys {
				msg = strings.ReplaceAll(msg, goName, key)
			}
			bad(field, err, "%s", msg)
		}
	}

	if p.ReplicationFactor < 0 || p.ReplicationFactor > chain.MaxReplicationFactor {
		bad("params.replication_factor", nil, "%d is outside 0 (every member holds every chain) to %d", p.ReplicationFactor, chain.MaxReplicationFactor)
	}
	if p.QueryFeeMinor > chain.MaxAmountMinor {
		bad("params.query_fee_minor", nil, "%d is over the limit of amounts, %d", p.QueryFeeMinor, uint64(chain.MaxAmountMinor))
	}
	switch {
	case p.FeeCurrency == "" && p.QueryFeeMinor == 0:
	case p.FeeCurrency == "":
		bad("params.fee_currency", nil, "required when query_fee_minor is not 0: an ISO 4217 code such as EUR")
	case chain.CheckCurrency(p.FeeCurrency) != nil:
		bad("params.fee_currency", chain.CheckCurrency(p.FeeCurrency), "%q is not an ISO 4217 code listed in docs/PROTOCOL.md 5.4.1, such as EUR", p.FeeCurrency)
	}

	parseGovernanceParams(&p, pj, bad)
	parseRightsParams(&p, pj, bad)

	switch fp := p.SubjectSecretFingerprint; {
	case fp == "":
		bad("params.subject_secret_fingerprint", nil, "required: the fingerprint of the members' subject secret, 64 lower-case hex digits (credmesh genesis new writes it; docs/PROTOCOL.md 6.2)")
	case !isFingerprint(fp):
		bad("params.subject_secret_fingerprint", nil, "%q is not 64 lower-case hex digits (SHA-256, docs/PROTOCOL.md 6.2)", fp)
	}
	return p
}

// isFingerprint reports whether s is lower-case hex of 32 bytes.
func isFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// paramKeys maps the chain.Params field names in its errors to the keys of
// the file.
var paramKeys = map[string]string{
	"MaxBlockEntries": "max_block_entries",
	"MaxBlockBytes":   "max_block_bytes",
	"MaxEntryBytes":   "max_entry_bytes",
	"BlockInterval":   "block_interval",
	"MaxClockSkew":    "max_clock_skew",
	"WitnessPeriod":   "witness_period",
}

// rfc3339 is the form of genesis_time (docs/PROTOCOL.md 15.1): RFC 3339's
// date-time with an upper-case T and Z, a fraction of at most nine digits
// after a full stop, and an offset of less than 24 h. time.Parse also takes
// a comma before the fraction, more digits and an offset of 24 h or more.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)
