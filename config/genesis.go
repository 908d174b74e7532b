package config

import (
	"bytes"
	"crypto/sha256"
	"os"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// GenesisFile is the name of the genesis in a peer's home.
const GenesisFile = "genesis.json"

// Role is what a member does in the network.
type Role string

// The roles of members.
const (
	// RolePayments members write payment records (tax, social and medical
	// insurance authorities).
	RolePayments Role = "payments"
	// RoleCredit members publish credit events and answer credit queries.
	RoleCredit Role = "credit"
	// RoleQuery members ask for credit reports.
	RoleQuery Role = "query"
)

// Member is an institution of the network.
type Member struct {
	// ID is the peer ID of the institution's Ed25519 key; the key inside
	// it is the member's chain.IssuerID.
	ID peer.ID
	// Name is the display name: 1 to 64 characters.
	Name string
	// Roles are what the member does: at least one, no repeats.
	Roles []Role
	// Addrs are where the member's peer can be dialled, without /p2p/;
	// may be empty for a peer found through the DHT only.
	Addrs []ma.Multiaddr
	// InstitutionType is bank or non_bank, or "" when the genesis does not
	// say (optional): credit reports split the queries of the
	// multiple-borrowing windows by the querier's type.
	InstitutionType InstitutionType
}

// InstitutionType is the kind of institution a member is, for credit
// reports (PROTOCOL.md, Institution types).
type InstitutionType string

// Institution types.
const (
	InstitutionBank    InstitutionType = "bank"
	InstitutionNonBank InstitutionType = "non_bank"
)

// InstitutionTypes are the types a genesis may give a member.
var InstitutionTypes = []InstitutionType{InstitutionBank, InstitutionNonBank}

// HasRole reports whether m has role r.
func (m Member) HasRole(r Role) bool { return slices.Contains(m.Roles, r) }

// ChainRoles returns m's roles as the chain core's bit set; names that are
// not roles (which Validate refuses) count for nothing.
func (m Member) ChainRoles() chain.Role {
	var out chain.Role
	for _, r := range m.Roles {
		out |= chainRoles[r]
	}
	return out
}

// chainRoles maps each role name to its chain.Role bit.
var chainRoles = map[Role]chain.Role{
	RolePayments: chain.RolePayments,
	RoleCredit:   chain.RoleCredit,
	RoleQuery:    chain.RoleQuery,
}

// AddrInfo returns the member's peer ID and addresses, for dialling.
func (m Member) AddrInfo() peer.AddrInfo {
	return peer.AddrInfo{ID: m.ID, Addrs: slices.Clone(m.Addrs)}
}

// GenesisParams are the network's parameters: the chain.Params other than
// the network ID, and the query fee.
type GenesisParams struct {
	// BlockInterval is the longest a non-empty pending pool waits before
	// its block is sealed: 10 ms to 1 h. JSON: a Go duration, "1s".
	BlockInterval time.Duration
	// MaxBlockEntries bounds the entries of one block: 1 to 65536.
	MaxBlockEntries int
	// MaxBlockBytes bounds a block's summed entry bytes: MaxEntryBytes to
	// 4 MiB.
	MaxBlockBytes int
	// MaxEntryBytes bounds one encoded entry, in bytes: 256 to 64 KiB.
	MaxEntryBytes int
	// MaxClockSkew is how far a block's time may lie ahead of a
	// validator's clock: 0 to 10 min. JSON: a Go duration, "30s".
	MaxClockSkew time.Duration
	// WitnessPeriod is how often every member cosigns the heads it has
	// verified: 1 s to 1 h, 0 for the default (10 s). JSON: a Go
	// duration, "10s", left out when 0.
	WitnessPeriod time.Duration
	// QueryFeeMinor is what the asker of a credit query pays each
	// answering member, in minor units of FeeCurrency (cents). 0: free.
	QueryFeeMinor uint64
	// FeeCurrency is the ISO 4217 code of the fee, three upper-case
	// letters; may be empty only when QueryFeeMinor is 0.
	FeeCurrency string
	// SubjectSecretFingerprint commits to the members' subject secret:
	// SecretFingerprint of the network ID and the secret, 64 lower-case
	// hex digits. Required: a peer whose subject.secret does not match
	// refuses to start.
	SubjectSecretFingerprint string
	// ReplicationFactor is chain.Params.ReplicationFactor: 0 (every member
	// holds every chain, the default) or how many members besides its
	// issuer hold each chain, at most the number of members less one.
	ReplicationFactor int
	// ApprovalThreshold is how many members must approve a membership or
	// parameter decision (the proposer counts): 0, the default, is a
	// majority of the members in force; more than the members in force
	// means all of them. 0 to 1000.
	ApprovalThreshold int
	// ActivationDelay is the least time from a proposal's block to its
	// activation: 1s to 2160h; 0 takes the default, chain.DefaultParams'
	// (an hour). JSON: a Go duration, "24h"; left out when 0.
	ActivationDelay time.Duration
	// DisputeResponseDays is how long an issuer has to answer a
	// subject's dispute (docs/PROTOCOL.md 22.2): 1 to 365 days; 0 takes
	// the default, 20. JSON: left out when 0.
	DisputeResponseDays int
}

// DefaultGenesisParams returns the parameters of chain.DefaultParams and
// free queries. SubjectSecretFingerprint is left for the caller to set,
// from the network ID and the secret (SecretFingerprint).
func DefaultGenesisParams() GenesisParams {
	d := chain.DefaultParams("")
	return GenesisParams{
		BlockInterval:   d.BlockInterval,
		MaxBlockEntries: d.MaxBlockEntries,
		MaxBlockBytes:   d.MaxBlockBytes,
		MaxEntryBytes:   d.MaxEntryBytes,
		MaxClockSkew:    d.MaxClockSkew,
	}
}

// Genesis is a network's genesis.json: who the members are and the rules
// they share. It is immutable; its Hash, SHA-256 of its file's exact bytes,
// is the network's identity, and peers with another hash are disconnected.
type Genesis struct {
	networkID string
	time      time.Time
	members   []Member
	params    GenesisParams
	raw       []byte // the bytes it was read from or written as; nil if neither
}

// NewGenesis returns the genesis of a new network. Zero durations and
// sizes in params take their defaults (DefaultGenesisParams), so a zero
// MaxClockSkew cannot be asked for here, only in the file; the fee fields
// and SubjectSecretFingerprint (required: set it to SecretFingerprint of
// networkID and the secret) are taken as they are. The time keeps its precision and is written in
// UTC. Nothing is checked until Validate, Marshal or WriteGenesis.
func NewGenesis(networkID string, t time.Time, members []Member, params GenesisParams) *Genesis {
	d := DefaultGenesisParams()
	if params.BlockInterval == 0 {
		params.BlockInterval = d.BlockInterval
	}
	if params.MaxBlockEntries == 0 {
		params.MaxBlockEntries = d.MaxBlockEntries
	}
	if params.MaxBlockBytes == 0 {
		params.MaxBlockBytes = d.MaxBlockBytes
	}
	if params.MaxEntryBytes == 0 {
		params.MaxEntryBytes = d.MaxEntryBytes
	}
	if params.MaxClockSkew == 0 {
		params.MaxClockSkew = d.MaxClockSkew
	}
	ms := make([]Member, len(members))
	for i, m := range members {
		m.Roles = slices.Clone(m.Roles)
		m.Addrs = slices.Clone(m.Addrs)
		ms[i] = m
	}
	return &Genesis{networkID: networkID, time: t.Round(0).UTC(), members: ms, params: params}
}

// NetworkID returns the network's ID, which every header, protocol and
// topic name carries.
func (g *Genesis) NetworkID() string { return g.networkID }

// Time returns the genesis time, in UTC.
func (g *Genesis) Time() time.Time { return g.time }

// MemberList returns the members in file order. The slice is a copy; the
// Roles and Addrs inside it must not be modified.
func (g *Genesis) MemberList() []Member { return slices.Clone(g.members) }

// Params returns the network's parameters.
func (g *Genesis) Params() GenesisParams { return g.params }

// ChainParams returns the chain parameters: chain.DefaultParams of the
// network ID, overridden by every parameter the genesis sets. LoadGenesis
// and Marshal have checked them with chain.Params.Validate.
func (g *Genesis) ChainParams() chain.Params {
	p := chain.DefaultParams(g.networkID)
	if g.params.BlockInterval != 0 {
		p.BlockInterval = g.params.BlockInterval
	}
	if g.params.MaxBlockEntries != 0 {
		p.MaxBlockEntries = g.params.MaxBlockEntries
	}
	if g.params.MaxBlockBytes != 0 {
		p.MaxBlockBytes = g.params.MaxBlockBytes
	}
	if g.params.MaxEntryBytes != 0 {
		p.MaxEntryBytes = g.params.MaxEntryBytes
	}
	p.MaxClockSkew = g.params.MaxClockSkew
	p.WitnessPeriod = g.params.WitnessPeriod
	if g.params.ActivationDelay != 0 {
		p.ActivationDelay = g.params.ActivationDelay
	}
	p.DisputeResponse = time.Duration(g.params.DisputeResponseDays) * 24 * time.Hour
	p.QueryFeeMinor = g.params.QueryFeeMinor
	p.FeeCurrency = g.params.FeeCurrency
	p.ReplicationFactor = g.params.ReplicationFactor
	return p
}

// Members returns the issuer IDs of the members with their roles. A member
// whose peer ID does not hold an Ed25519 key (which Validate refuses, and
// LoadGenesis never returns) is left out.
func (g *Genesis) Members() chain.Members {
	m := make(chain.Members, len(g.members))
	for _, mb := range g.members {
		if iss, err := peerid.Issuer(mb.ID); err == nil {
			m[iss] = mb.ChainRoles()
		}
	}
	return m
}

// InstitutionTypes returns the members' institution types by issuer, for
// those the genesis gives one.
func (g *Genesis) InstitutionTypes() map[chain.IssuerID]InstitutionType {
	m := make(map[chain.IssuerID]InstitutionType)
	for _, mb := range g.members {
		if iss, err := peerid.Issuer(mb.ID); err == nil && mb.InstitutionType != "" {
			m[iss] = mb.InstitutionType
		}
	}
	return m
}

// MemberPeers returns the members by peer ID.
func (g *Genesis) MemberPeers() map[peer.ID]Member {
	m := make(map[peer.ID]Member, len(g.members))
	for _, mb := range g.members {
		m[mb.ID] = mb
	}
	return m
}

// Hash returns SHA-256 of the genesis bytes: those LoadGenesis read or
// WriteGenesis wrote, else those Marshal would return.
func (g *Genesis) Hash() [32]byte {
	if g.raw != nil {
		return sha256.Sum256(g.raw)
	}
	return sha256.Sum256(g.encode())
}

// Validate checks every field and reports every problem as a *FieldError
// naming genesis.json and the field path (members[2].id); the result wraps
// ErrInvalid.
func (g *Genesis) Validate() error {
	_, err := parseGenesis(GenesisFile, g.wire(), nil)
	return err
}

// Marshal returns the genesis file: the bytes it was read from, if it was
// read, else indented JSON with fields in a fixed order and a trailing
// newline. It refuses an invalid genesis.
func (g *Genesis) Marshal() ([]byte, error) {
	if g.raw != nil {
		return bytes.Clone(g.raw), nil
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g.encode(), nil
}

// WriteGenesis writes Marshal's bytes to path atomically (replacing a file
// that is there), mode 0644. Afterwards Hash is SHA-256 of the written
// bytes, as LoadGenesis of path computes it.
func (g *Genesis) WriteGenesis(path string) error {
	data, err := g.Marshal()
	if err != nil {
		return withFile(err, path)
	}
	if err := writeAtomic(path, data, 0o644); err != nil {
		return err
	}
	g.raw = data
	return nil
}

// LoadGenesis reads and checks a genesis file and keeps its exact bytes
// for Hash. Mistakes are reported as *FieldError values with the path, the
// field and, where the file shows it, line and column: JSON syntax, values
// of the wrong type, unknown fields, and every rule of Validate. Parameters
// the file leaves out take their defaults (chain.DefaultParams, free
// queries).
func LoadGenesis(path string) (*Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := decodeGenesis(path, data)
	if err != nil {
		return nil, err
	}
	g, err := parseGenesis(path, w, indexJSON(data))
	if err != nil {
		return nil, err
	}
	g.raw = data
	return g, nil
}
