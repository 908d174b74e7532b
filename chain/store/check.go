package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
)

// Check verifies a store offline, in three passes, and reports every
// problem it finds by chain, height, index and key:
//
//  1. tables: every block of every live table file is read and its
//     checksum verified (sstable.Reader.ValidateBlockChecksums), so damage
//     is found even in keys no read would reach;
//  2. chains: for every chain, each header decodes, is signed by its
//     issuer, sits at the height its key says, links by hash and time to
//     the one before, heights run from 1 with no gap to the head its 'c'
//     key names; the stored Merkle tree is the tree of its leaves, its
//     root is the header's, and every stored entry hashes to its leaf
//     (pruned entries keep only their leaf); every entry decodes and has
//     the index keys Append wrote for it;
//  3. indexes: every index key ('x', 'k', 's', 'q', 'w', 'p') is one that
//     some stored entry produces, or points at an entry pruned after its
//     expiry whose key is kept ('x', 'k', 'w', 'q'); every 'r' key points
//     at a pruned entry.
//
// A read that meets corruption in pass 2 or 3 ends the walk of that chain
// or index only; the others are still checked. Check does not read the
// pending log.

// Problem kinds.
const (
	ProblemOpen   = "open"   // the database cannot be opened
	ProblemTable  = "table"  // a table block's checksum fails
	ProblemRead   = "read"   // a read failed; the walk of a chain or index ended
	ProblemHead   = "head"   // a 'c' key disagrees with the headers
	ProblemHeader = "header" // a header does not decode, or is not its issuer's
	ProblemLink   = "link"   // heights or hash links are broken
	ProblemMerkle = "merkle" // the tree, its root or a leaf is wrong
	ProblemEntry  = "entry"  // an entry is stray or does not decode
	ProblemIndex  = "index"  // an index key is missing, wrong or stray
	ProblemKey    = "key"    // a key the layout does not know
)

// Problem is one thing wrong with the store.
type Problem struct {
	Kind   string `json:"kind"`
	Chain  string `json:"chain,omitempty"` // issuer, hex
	Height uint64 `json:"height,omitempty"`
	Index  *int   `json:"index,omitempty"` // entry index within the block
	Key    string `json:"key,omitempty"`   // the key, described (DescribeKey)
	File   string `json:"file,omitempty"`  // table file
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	s := p.Kind
	if p.File != "" {
		s += " " + p.File
	}
	if p.Chain != "" {
		s += " chain " + p.Chain[:min(8, len(p.Chain))]
	}
	if p.Height != 0 {
		s += fmt.Sprintf(" block %d", p.Height)
	}
	if p.Index != nil {
		s += fmt.Sprintf(" entry %d", *p.Index)
	}
	if p.Key != "" {
		s += " [" + p.Key + "]"
	}
	return s + ": " + p.Detail
}

// ChainCheck is what Check found of one chain.
type ChainCheck struct {
	Issuer  string `json:"issuer"` // hex
	Head    uint64 `json:"head"`   // height its 'c' key names
	Blocks  uint64 `json:"blocks"` // headers checked
	Entries uint64 `json:"entries"`
	Pruned  uint64 `json:"pruned"` // entries kept only as a leaf hash
}

// CheckReport is the outcome of Check.
type CheckReport struct {
	Dir        string        `json:"dir"`
	Tables     int           `json:"tables"`
	TableBytes uint64        `json:"table_bytes"`
	Chains     []ChainCheck  `json:"chains"`
	Blocks     uint64        `json:"blocks"`
	Entries    uint64        `json:"entries"`
	Pruned     uint64        `json:"pruned"`
	IndexKeys  uint64        `json:"index_keys"`
	Problems   []Problem     `json:"problems"`
	Unlisted   int           `json:"unlisted_problems,omitempty"` // beyond MaxProblems
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// OK reports whether Check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check phases, as CheckProgress.Phase.
const (
	PhaseTables  = "tables"
	PhaseChain   = "chain"
	PhaseIndexes = "indexes"
)

// CheckProgress is reported while Check works.
type CheckProgress struct {
	Phase string
	// Chain is the chain being walked (PhaseChain).
	Chain chain.IssuerID
	// Done of Total: tables validated (PhaseTables), blocks walked of the
	// chain's head (PhaseChain), index keys read (PhaseIndexes, Total 0).
	Done, Total uint64
	// Entries checked so far, over all chains, and problems found.
	Entries  uint64
	Problems int
	Elapsed  time.Duration
	// Finished is set on the last report of a table pass, chain or index
	// pass.
	Finished bool
}

// CheckOptions tune Check. The zero value is usable.
type CheckOptions struct {
	// Progress, if set, is called from Check's goroutine at the end of
	// every pass and chain, and at most every ProgressEvery in between.
	Progress func(CheckProgress)
	// ProgressEvery spaces progress reports (default 1 s).
	ProgressEvery time.Duration
	// MaxProblems bounds the problems listed (default 1000); the rest are
	// counted in CheckReport.Unlisted.
	MaxProblems int
	// CacheBytes is the block cache (default 64 MiB).
	CacheBytes int64
}

// Check verifies the database in dir, which no peer may be running on
// (ErrInUse). It opens it read-only and writes nothing. The error is for
// a check that could not run; what is wrong with the store is in the
// report.
func Check(dir string, o CheckOptions) (*CheckReport, error) {
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 1000
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	if m, err := filepath.Glob(filepath.Join(dir, "MANIFEST-*")); err != nil || len(m) == 0 {
		if _, err := os.Stat(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: %w", err)
		}
		return nil, fmt.Errorf("store: no database in %s", dir)
	}
	lock, err := lockDir(vfs.Default, dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()

	c := &checker{o: o, start: time.Now(), report: &CheckReport{Dir: dir}}
	cache := pebble.NewCache(o.CacheBytes)
	defer cache.Unref()
	h := &health{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	opts := pebbleOptions(Options{Logger: h.log}, cache, h)
	opts.ReadOnly = true
	opts.Lock = lock
	db, err := pebble.Open(dir, opts)
	if err != nil {
		if !pebble.IsCorruptionError(err) {
			return nil, fmt.Errorf("store: opening %s: %w", dir, err)
		}
		c.problem(Problem{Kind: ProblemOpen, Detail: err.Error()})
		return c.finish(), nil
	}
	defer db.Close()
	c.s = &Store{db: db, health: h}
	c.s.mu.byPrefix = make(map[issuerPrefix]chain.IssuerID)
	if c.s.shortLookup, err = c.s.lookupForm(); err != nil {
		c.problem(Problem{Kind: ProblemRead, Key: "payment index form", Detail: err.Error()})
	}
	c.tables(dir, opts)
	c.chains()
	c.indexes()
	c.keys()
	return c.finish(), nil
}

// checker is the state of one Check.
type checker struct {
	o        CheckOptions
	s        *Store
	start    time.Time
	report   *CheckReport
	problems int
	lastProg time.Time

	// Filled by the chain pass for the index pass.
	expected []uint64                   // hashes of every index key some entry produces
	blocks   map[chain.IssuerID][]int64 // entry count by height-1; -1: header unreadable
	skipped  map[chain.IssuerID]bool    // chains whose walk ended early
}

func (c *checker) problem(p Problem) {
	c.problems++
	if len(c.report.Problems) < c.o.MaxProblems {
		c.report.Problems = append(c.report.Problems, p)
	} else {
		c.report.Unlisted++
	}
}

// progress reports p if finished or due.
func (c *checker) progress(p CheckProgress) {
	if c.o.Progress == nil {
		return
	}
	now := time.Now()
	if !p.Finished && now.Sub(c.lastProg) < c.o.ProgressEvery {
		return
	}
	c.lastProg = now
	p.Entries, p.Problems, p.Elapsed = c.report.Entries, c.problems, now.Sub(c.start)
	c.o.Progress(p)
}

func (c *checker) finish() *CheckReport {
	c.report.Elapsed = time.Since(c.start)
	return c.report
}

// tables validates the checksum of every block of every live table.
func (c *checker) tables(dir string, opts *pebble.Options) {
	levels, err := c.s.db.SSTables()
	if err != nil {
		c.problem(Problem{Kind: ProblemRead, Detail: "listing the tables: " + err.Error()})
		return
	}
	type table struct {
		info              pebble.SSTableInfo
		file              string
		smallest, largest []byte
		level             int
	}
	var all []table
	seen := make(map[uint64]bool)
	for level, ts := range levels {
		for _, t := range ts {
			n := uint64(t.BackingSSTNum)
			if seen[n] {
				continue
			}
			seen[n] = true
			all = append(all, table{t, fmt.Sprintf("%06d.sst", n), t.Smallest.UserKey, t.Largest.UserKey, level})
			c.report.TableBytes += t.Size
		}
	}
	c.report.Tables = len(all)
	for i, t := range all {
		ro := opts.MakeReaderOptions()
		ro.CacheOpts.FileNum = t.info.BackingSSTNum // names the file in errors
		if err := validateTable(filepath.Join(dir, t.file), opts.FS, ro); err != nil {
			c.problem(Problem{Kind: ProblemTable, File: t.file, Key: describeRange(t.smallest, t.largest),
				Detail: fmt.Sprintf("level %d: %v", t.level, err)})
		}
		c.progress(CheckProgress{Phase: PhaseTables, Done: uint64(i + 1), Total: uint64(len(all)), Finished: i == len(all)-1})
	}
}

// validateTable reads every block of the table file at path and checks its
// checksum.
func validateTable(path string, fs vfs.FS, ro sstable.ReaderOptions) error {
	f, err := fs.Open(path)
	if err != nil {
		return err
	}
	readable, err := objstorageprovider.NewFileReadable(f, fs, objstorageprovider.NewReadaheadConfig(), path)
	if err != nil {
		f.Close()
		return err
	}
	r, err := sstable.NewReader(context.Background(), readable, ro)
	if err != nil {
		readable.Close()
		return err
	}
	defer r.Close()
	return r.ValidateBlockChecksums()
}
