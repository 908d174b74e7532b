package chain

import (
	"errors"
	"fmt"
	"time"
)

// Params are the network-wide chain parameters, fixed in the genesis.
type Params struct {
	// NetworkID names the network; every header carries it. 1 to 64
	// characters of [a-z0-9-].
	NetworkID string
	// MaxBlockEntries bounds the entries of one block (1 to 65536).
	MaxBlockEntries int
	// MaxBlockBytes bounds the summed size of a block's encoded entries, in
	// bytes (at least MaxEntryBytes, at most 4 MiB).
	MaxBlockBytes int
	// MaxEntryBytes bounds one encoded entry, in bytes (256 to 64 KiB).
	MaxEntryBytes int
	// BlockInterval is the longest a non-empty pending pool waits before
	// its block is sealed (10 ms to 1 h).
	BlockInterval time.Duration
	// MaxClockSkew is how far a block's time may lie ahead of a
	// validator's clock before the block is ignored (0 to 10 min).
	MaxClockSkew time.Duration
	// QueryFeeMinor is what the asker of a credit query pays each
	// answering member, in minor units of FeeCurrency; every receipt
	// carries it (0 on a receipt of a member's query of itself). 0: free.
	QueryFeeMinor uint64
	// FeeCurrency is the ISO 4217 code of the fee; may be empty only when
	// QueryFeeMinor is 0.
	FeeCurrency string
	// ReplicationFactor is how many members besides its issuer hold each
	// chain in full (package placement). 0, the default, is full
	// replication: every member holds every chain. 1 to 1000: each member
	// holds its own chain and those placement gives it, and keeps only
	// the latest signed header of the others (docs/SCALE.md).
	ReplicationFactor int
	// WitnessPeriod is how often every member cosigns the heads it has
	// verified (docs/PROTOCOL.md 17): 1 s to 1 h; 0 takes the default,
	// 30 s (WitnessInterval).
	WitnessPeriod time.Duration
	// ActivationDelay is the least time from a proposal's block to its
	// activation (0 to 90 days), so that its approvals can be written and
	// reach every peer before it takes effect.
	ActivationDelay time.Duration
	// DisputeResponse is how long the issuer of a disputed entry has to
	// answer the dispute, from the dispute's block time (0 takes the
	// default, DefaultDisputeResponse: 20 days).
	DisputeResponse time.Duration
}

// DefaultDisputeResponse is the dispute response time of a genesis that
// sets none: 20 days (征信业管理条例 art. 25).
const DefaultDisputeResponse = 20 * 24 * time.Hour

// DisputeWindow returns the dispute response time, the default if unset.
func (p Params) DisputeWindow() time.Duration {
	if p.DisputeResponse <= 0 {
		return DefaultDisputeResponse
	}
	return p.DisputeResponse
}

// DefaultWitnessPeriod is the witness period of a genesis that sets none:
// 30 s, a third of the witness topic's bytes of the former 10 s (0.23 %
// of the blocks topic's at 20 members under the standard load; at 100
// members about 1.5-2.4 % by extrapolation, not measured: see
// docs/BENCHMARKS.md, "Witness cost"). A block is cosigned about one to
// two periods after it is sealed.
const DefaultWitnessPeriod = 30 * time.Second

// WitnessInterval returns the witness period, the default if unset.
func (p Params) WitnessInterval() time.Duration {
	if p.WitnessPeriod == 0 {
		return DefaultWitnessPeriod
	}
	return p.WitnessPeriod
}

// DefaultParams returns the parameters a new genesis starts from. A block of
// 64 KiB holds about 250 payment records and crosses a 100 Mbit/s link in
// about 5 ms, which keeps gossip propagation within its target.
func DefaultParams(networkID string) Params {
	return Params{
		NetworkID:       networkID,
		MaxBlockEntries: 1024,
		MaxBlockBytes:   64 << 10,
		MaxEntryBytes:   4 << 10,
		BlockInterval:   time.Second,
		MaxClockSkew:    30 * time.Second,
		ActivationDelay: time.Hour,
	}
}

// MaxReplicationFactor bounds Params.ReplicationFactor.
const MaxReplicationFactor = 1000

// MaxActivationDelay bounds Params.ActivationDelay: 90 days.
const MaxActivationDelay = 90 * 24 * time.Hour

// ErrParams is wrapped by every error of Params.Validate.
var ErrParams = errors.New("chain: invalid parameters")

// Validate checks every field's bounds and names the first that is off.
func (p Params) Validate() error {
	if err := CheckNetworkID(p.NetworkID); err != nil {
		return fmt.Errorf("%w: NetworkID: %v", ErrParams, err)
	}
	switch {
	case p.MaxBlockEntries < 1 || p.MaxBlockEntries > 1<<16:
		return fmt.Errorf("%w: MaxBlockEntries %d is outside 1..65536", ErrParams, p.MaxBlockEntries)
	case p.MaxEntryBytes < 256 || p.MaxEntryBytes > 64<<10:
		return fmt.Errorf("%w: MaxEntryBytes %d is outside 256..65536", ErrParams, p.MaxEntryBytes)
	case p.MaxBlockBytes < p.MaxEntryBytes || p.MaxBlockBytes > 4<<20:
		return fmt.Errorf("%w: MaxBlockBytes %d is outside MaxEntryBytes..4194304", ErrParams, p.MaxBlockBytes)
	case p.BlockInterval < 10*time.Millisecond || p.BlockInterval > time.Hour:
		return fmt.Errorf("%w: BlockInterval %s is outside 10ms..1h", ErrParams, p.BlockInterval)
	case p.MaxClockSkew < 0 || p.MaxClockSkew > 10*time.Minute:
		return fmt.Errorf("%w: MaxClockSkew %s is outside 0..10m", ErrParams, p.MaxClockSkew)
	case p.WitnessPeriod != 0 && (p.WitnessPeriod < time.Second || p.WitnessPeriod > time.Hour):
		return fmt.Errorf("%w: WitnessPeriod %s is outside 1s..1h", ErrParams, p.WitnessPeriod)
	case p.QueryFeeMinor > MaxAmountMinor:
		return fmt.Errorf("%w: QueryFeeMinor %d is above %d", ErrParams, p.QueryFeeMinor, uint64(MaxAmountMinor))
	case p.ReplicationFactor < 0 || p.ReplicationFactor > MaxReplicationFactor:
		return fmt.Errorf("%w: ReplicationFactor %d is outside 0..%d", ErrParams, p.ReplicationFactor, MaxReplicationFactor)
	case p.ActivationDelay < 0 || p.ActivationDelay > MaxActivationDelay:
		return fmt.Errorf("%w: ActivationDelay %s is outside 0..2160h", ErrParams, p.ActivationDelay)
	case p.FeeCurrency == "" && p.QueryFeeMinor != 0:
		return fmt.Errorf("%w: FeeCurrency is required with a fee", ErrParams)
	}
	if p.FeeCurrency != "" {
		if err := checkCurrency(p.FeeCurrency); err != nil {
			return fmt.Errorf("%w: FeeCurrency: %v", ErrParams, err)
		}
	}
	return nil
}

// MaxWireBlockBytes bounds an encoded block: its entries plus framing and
// the signed header.
func (p Params) MaxWireBlockBytes() int {
	return p.MaxBlockBytes + 4*p.MaxBlockEntries + 1024
}

// CheckNetworkID checks that id is 1 to 64 characters of [a-z0-9-].
func CheckNetworkID(id string) error {
	if len(id) == 0 || len(id) > 64 {
		return fmt.Errorf("network ID must have 1 to 64 characters, has %d", len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("network ID character %d (%q) is not one of [a-z0-9-]", i+1, c)
		}
	}
	return nil
}
