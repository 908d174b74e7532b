package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// Errors of the store.
var (
	ErrNotFound = errors.New("store: not found")
	ErrPruned   = errors.New("store: entry was pruned after its expiry")
	ErrCorrupt  = errors.New("store: corrupt record")
	ErrSchema   = errors.New("store: database was written by an incompatible version")
	ErrInUse    = errors.New("store: the database is in use by another process (is a peer running on this home?)")
)

const schemaVersion = 2

// Options tune the database. The zero value is usable.
type Options struct {
	// CacheBytes is the block cache size (default 128 MiB).
	CacheBytes int64
	// Logger receives Pebble's messages (default slog.Default()).
	Logger *slog.Logger
	// InMemory keeps the database in memory (Pebble's in-memory file
	// system) instead of dir: for simulations of many peers in one
	// process. Nothing survives Close. It is FS = vfs.NewMem().
	InMemory bool
	// MinFreeBytes, ReplicaMinFreeBytes and BallastBytes are the disk
	// watch's thresholds and ballast (see space.go and package
	// diskspace): below MinFreeBytes of free space new pending entries are
	// refused with ErrDiskFull, below ReplicaMinFreeBytes other issuers'
	// blocks too. Zero MinFreeBytes turns the watch off; InMemory ignores
	// them.
	MinFreeBytes        int64
	ReplicaMinFreeBytes int64
	BallastBytes        int64
	// Statfs reads the free space of the database's file system (default
	// statfs(2)); tests fake it.
	Statfs func(dir string) (diskspace.Usage, error)
	// FS is the file system of the database and the pending log (default
	// the operating system's). Tests give vfs.NewCrashableMem() to
	// simulate crashes that lose unsynced writes. With FS set the disk is
	// watched only if Statfs is set too (a test's fake disk); the ballast
	// is then still made through the operating system, in dir.
	FS vfs.FS
}

// Store is the Pebble database of one peer. It is safe for concurrent use.
type Store struct {
	db     *pebble.DB
	health *health // corruption met by reads (health.go)
	// recent holds the index keys the memtables may hold, so that
	// duplicate checks search them only for those (recent.go).
	recent *recentKeys
	// headers are the decoded headers of blocks read lately (read_cache.go).
	headers headerCache
	// disk watches the free space of the database's file system (nil:
	// not watched).
	disk *diskspace.Watch
	// readOnly is set by Open when the disk had no room for the database
	// to open for writing (openDB in space.go); it never changes after.
	readOnly bool
	// tables is how many tables the database has, for dbReserve: counted
	// at Open, updated by MaintainDisk.
	tables atomic.Int64
	// bgErrors counts Pebble's background errors; noSpaceAt is when the
	// last one for lack of space happened (unix ns, 0: never).
	bgErrors  atomic.Uint64
	noSpaceAt atomic.Int64

	// shortLookup says the payment index is of the short form
	// (lookupform.go); set by Open, never changed.
	shortLookup bool

	mu struct {
		sync.RWMutex
		heads map[chain.IssuerID]*chain.SignedHeader
		// byPrefix finds the issuer of a short payment index key.
		byPrefix map[issuerPrefix]chain.IssuerID
	}
	// appendMu serializes appends, so the head check and the write are one
	// step.
	appendMu sync.Mutex
	// privateMu serializes private writes, so the duplicate check and the
	// write are one step.
	privateMu sync.Mutex

	// The builder's pending log: appended by its loop, released by its
	// sealed-block writer.
	poolMu   sync.Mutex
	pool     *pool
	poolNext uint64 // sequence number after the last pending record
	logEnd   logEnd // records poolNext in the database

	log  *slog.Logger
	lock *pebble.Lock
}

// Open opens or creates the database in dir.
func Open(dir string, o Options) (*Store, error) {
	if o.CacheBytes <= 0 {
		o.CacheBytes = 128 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Store{log: o.Logger}
	cache := pebble.NewCache(o.CacheBytes)
	defer cache.Unref()
	h := &health{log: o.Logger}
	opts := pebbleOptions(o, cache, h)
	plog := opts.Logger.(*pebbleLogger)
	opts.AddEventListener(pebble.EventListener{BackgroundError: func(err error) { s.backgroundError(plog, err) }})
	// The lock comes first: nothing, not even the ballast, is touched in a
	// directory another process holds.
	lock, err := lockDir(opts.FS, dir)
	if err != nil {
		return nil, err
	}
	opts.Lock = lock
	if (o.FS == nil || o.Statfs != nil) && !o.InMemory && o.MinFreeBytes > 0 {
		// Watched from before Pebble opens: on a full disk the ballast has
		// to go first, or replaying the WAL may find no room; with no room
		// even then, the database opens read-only (openDB).
		if err := s.watchDisk(dir, o); err != nil {
			lock.Close()
			return nil, err
		}
		opts.FS = diskFS(opts.FS, s.disk, s.waitAfterNoSpace, s.dbReserve)
	}
	db, err := s.openDB(dir, opts)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	s.db, s.health, s.lock = db, h, lock
	s.recent = newRecentKeys(s.readOnly, int(opts.MemTableSize*3/4))
	if err := s.checkSchema(); err != nil {
		s.closeDB()
		return nil, err
	}
	if s.shortLookup, err = s.lookupForm(); err != nil {
		s.closeDB()
		return nil, err
	}
	if err := s.loadHeads(); err != nil {
		s.closeDB()
		return nil, err
	}
	if s.pool, err = openPool(opts.FS, dir); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("store: opening the pending log: %w", err)
	}
	s.pool.readOnly = s.readOnly
	return s, nil
}

// storeFormatMajorVersion is Pebble's format of the database files. Open
// ratchets an older database to it (Pebble rewrites its manifest; tables
// take the new format as compactions rewrite them); a binary from before
// refuses the ratcheted database with Pebble's error about a format it
// does not know. Read-only opens leave the format as they find it.
const storeFormatMajorVersion = pebble.FormatTableFormatV6

// pebbleOptions are the database options of Open and Check.
func pebbleOptions(o Options, cache *pebble.Cache, h *health) *pebble.Options {
	opts := &pebble.Options{
		Cache:        cache,
		MemTableSize: 32 << 20,
		// Columnar data blocks (table format v6): a key's sequence number
		// and kind, and the lengths of keys and values, are stored as
		// columns that shrink to a few bits when alike, instead of about
		// 11 bytes of trailer and varints per key; most of our keys are
		// two per payment of about 230 bytes (doc.go, "Format").
		FormatMajorVersion: storeFormatMajorVersion,
		Logger:             newPebbleLogger(o.Logger.With("component", "pebble"), time.Now),
	}
	// A corrupt table is an error of the read that meets it, not Pebble's
	// default Logger.Fatalf (health.go).
	opts.AddEventListener(pebble.EventListener{DataCorruption: h.dataCorruption})
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	switch {
	case o.FS != nil:
		opts.FS = o.FS
	case o.InMemory:
		opts.FS = vfs.NewMem()
	default:
		opts.FS = vfs.Default
	}
	if _, mem := opts.FS.(*vfs.MemFS); mem {
		opts.MemTableSize = 4 << 20
	}
	return opts
}

// lockDir takes the directory lock Pebble holds while a database is open
// (the LOCK file), so that a second process, or a second Open in this
// one, gets ErrInUse rather than Pebble's bare errno.
func lockDir(fs vfs.FS, dir string) (*pebble.Lock, error) {
	if err := fs.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: creating %s: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || strings.Contains(err.Error(), "lock held")) {
		return nil, fmt.Errorf("%w: %s: %v", ErrInUse, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: locking %s: %w", dir, err)
	}
	return lock, nil
}

// Close flushes nothing more (every write was committed) and closes the
// database and the pending log.
func (s *Store) Close() error {
	s.stopLogEnd()
	return errors.Join(s.pool.close(), s.closeDB())
}

func (s *Store) closeDB() error { return errors.Join(s.db.Close(), s.lock.Close()) }

func (s *Store) checkSchema() error {
	key := []byte{prefixMeta, 'v'}
	v, err := s.get(key)
	if errors.Is(err, ErrNotFound) {
		if err := s.room(onlyIfNoRoom, 8); err != nil {
			return err // read-only: a database never written to
		}
		// A new database: its payment index takes the short form.
		b := s.db.NewBatch()
		defer b.Close()
		if err := b.Set(key, binary.BigEndian.AppendUint32(nil, schemaVersion), nil); err != nil {
			return err
		}
		if err := b.Set(shortLookupMark, nil, nil); err != nil {
			return err
		}
		return b.Commit(pebble.Sync)
	}
	if err != nil {
		return err
	}
	if len(v) != 4 || binary.BigEndian.Uint32(v) != schemaVersion {
		return fmt.Errorf("%w (schema %x, want %d)", ErrSchema, v, schemaVersion)
	}
	return nil
}

func (s *Store) loadHeads() error {
	s.mu.heads = make(map[chain.IssuerID]*chain.SignedHeader)
	s.mu.byPrefix = make(map[issuerPrefix]chain.IssuerID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixHead}, UpperBound: []byte{prefixHead + 1}})
	if err != nil {
		return s.readErr(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 33 || len(v) != 8 {
			return s.corruptf("head key %x", k)
		}
		iss := chain.IssuerID(k[1:])
		h, err := s.Header(iss, binary.BigEndian.Uint64(v))
		if err != nil {
			return fmt.Errorf("store: head of %s: %w", iss.Short(), err)
		}
		if h.History, err = s.loadHistory(iss, h.Height); err != nil {
			return fmt.Errorf("store: history of %s: %w", iss.Short(), err)
		}
		s.mu.heads[iss] = h
		s.mu.byPrefix[prefixOf(iss)] = iss
	}
	return s.readErr(it.Error())
}

// Head returns the newest header of issuer's chain, or nil if we hold none.
func (s *Store) Head(iss chain.IssuerID) *chain.SignedHeader {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.heads[iss]
}

// Heads returns the newest header of every chain we hold.
func (s *Store) Heads() map[chain.IssuerID]*chain.SignedHeader {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[chain.IssuerID]*chain.SignedHeader, len(s.mu.heads))
	for k, v := range s.mu.heads {
		out[k] = v
	}
	return out
}

// get returns a copy of the value at key, or ErrNotFound.
func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, s.readErr(err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// has reports whether key exists.
func (s *Store) has(key []byte) (bool, error) {
	_, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, s.readErr(err)
	}
	closer.Close()
	return true, nil
}
