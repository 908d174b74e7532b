package node

import (
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/config"
	"github.com/libp2p/go-libp2p"
)

// Options are everything a node is made from.
type Options struct {
	Home    config.Home
	Config  config.Config
	Genesis *config.Genesis
	Key     ed25519.PrivateKey
	Secret  []byte // members' subject secret; New refuses one the genesis does not commit to
	Logger  *slog.Logger

	// Transports replace TCP and QUIC (simnet's simulated links).
	Transports []libp2p.Option
	// NoAPI runs the peer without its HTTP API (simulations).
	NoAPI bool
	// InMemoryStore keeps the store in memory (simulations).
	InMemoryStore bool
	// OnBlockStored, if set, is called after every block of another member
	// is stored (see p2p.Config.OnStored). It must not block.
	OnBlockStored func(b *chain.Block, viaSync bool)
	// OnCosigned, if set, is called with every statement of heads the
	// peer cosigns (see p2p.Config.OnCosigned). It must not block.
	OnCosigned func(s *witness.Statement)
	// LogEvery is the window of the activity log: members connecting and
	// leaving and blocks sealed and stored are logged at most about twice
	// per window each, the first at once and the rest summed up (default
	// 10 s).
	LogEvery time.Duration
	// AloneAfter is how long no member may be connected before a warning
	// (repeated every ten times as long; default 1 min).
	AloneAfter time.Duration
	// Now reads the clock (default time.Now).
	Now func() time.Time
	// PruneInterval is how often expired negative entries are pruned
	// (default an hour; tests move the clock and prune often).
	PruneInterval time.Duration
	// TrustLocalChain starts sealing on the head of our own chain that the
	// store holds, without asking the other members first (credmesh run
	// --trust-local-chain). Required when the genesis has no other member.
	// If the store was rolled back or lost, the peer signs its chain again
	// from the height it holds: a fork for good.
	TrustLocalChain bool
}

// LoadOptions reads a peer's home: config.toml (with CREDMESH_*
// overrides), genesis.json, key and subject.secret. Flags are applied by
// the caller to Options.Config afterwards.
func LoadOptions(home config.Home) (Options, error) {
	cfg, err := config.Load(home.ConfigPath())
	if err != nil {
		return Options{}, err
	}
	g, err := home.LoadGenesis() // its errors say how to get the network's file
	if err != nil {
		return Options{}, err
	}
	key, err := config.LoadKey(home.KeyPath())
	if err != nil {
		return Options{}, err
	}
	secret, err := config.LoadSecret(home.SecretPath())
	if err != nil {
		return Options{}, err
	}
	// A peer the genesis does not name starts too: a newcomer waits for
	// the members' decision to admit it (member.go warns).
	return Options{Home: home, Config: cfg, Genesis: g, Key: key, Secret: secret}, nil
}

// NewLogger returns the logger a config asks for, writing to w.
func NewLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	var level slog.Level
	switch strings.ToLower(c.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
