// Package store keeps every member's chain in one Pebble database, with the
// indexes that queries need and the builder's pending pool.
//
// Key layout (integers big-endian, so keys sort by height and sequence):
//
//	'c' issuer                        → head: height(8)
//	'h' issuer height                 → encoded chainpb.SignedHeader
//	'e' issuer height index           → encoded entry as shipped; deleted when pruned
//	'r' issuer height index           → entry key of a pruned entry (pruned.go)
//	't' issuer height                 → Merkle tree nodes, leaves first (merkle.Tree), kept when entries are pruned;
//	                                    only the levels from 3 up for a block with nothing to prune (tree.go)
//	'y' issuer level(1) index(8)      → node of the chain's history tree (chain.History; history.go): every node an append completes
//	'x' lookup issuer[:8]             → location of a payment: uvarint height, uvarint index (height(8)
//	                                    index(4) when written before; indexvalue.go); the whole issuer
//	                                    in stores created before that form (lookupform.go)
//	'k' issuer entry-key              → location of any other entry (keys are unique per issuer),
//	                                    and of a receipt under its second key (chain.QueryIDKey)
//	's' subject issuer height index   → (empty) entries about a subject
//	'q' querier issuer height index   → (empty) receipts of queries a member made
//	'w' issuer target-key location    → (empty) corrections of an entry
//	'p' expiry-ms issuer height index → (empty) negative entries to prune after expiry
//	'f' issuer                        → equivocation evidence against the issuer
//	'a' issuer                        → the operator's acknowledgement of that fork: time-ms(8) note
//	'v' subject id                    → private credit record (never gossiped; see private.go)
//	'm' 'v'                           → schema version
//	'm' 's'                           → pending entries below this sequence number are sealed
//	'm' 'n'                           → the end of the pending log: every record below was acknowledged
//	'm' 'l'                           → records lost to damaged pending logs set aside: count(8) time-ms(8) dir
//	'm' 'k'                           → (empty) the payment index is of the short form
//
// The builder's pending pool is a log of its own in <dir>/pending (see
// pending.go for its format and why it is not Pebble's record package,
// pending_scan.go for how a torn tail is told from damage and what cannot
// be detected). A damaged log makes LoadPending fail with a
// *PendingDamageError; SetAsidePending moves it to
// <dir>/pending.damaged-<time> and keeps what is readable. The on-disk
// format changed compatibly: frames written before batch bounds (v1) still
// load, so the schema version is unchanged; an older binary reading a log
// with v2 frames would see them as garbage, so do not downgrade with
// records pending.
//
// Options.FS puts the database and the pending log on any vfs.FS; tests use
// vfs.NewCrashableMem to simulate crashes that lose unsynced data. Open
// takes Pebble's directory lock (<dir>/LOCK) itself, so a second process
// gets ErrInUse.
//
// The database files are in Pebble's format storeFormatMajorVersion
// (columnar data blocks, store.go): Open ratchets an older store to it, and
// an older binary then refuses the store with Pebble's format error.
//
// A block of entries that are never pruned keeps its tree from level 3 up
// (about 8 bytes per entry, against 64 for the whole tree): an inclusion
// proof is then one tree read plus one short scan of the 8 neighbouring
// entries of its leaf's group, hashed (tree.go). Blocks with entries that
// expire keep the whole tree, whose leaves stand in for pruned entries.
//
// A block and all its index keys are written in one batch, so a crash leaves
// either all of them or none. Every entry has a key of its own: a payment
// lookup then reads one small data block instead of a whole 64 KiB block of
// entries, and sync reads a block's entries with one short scan.
//
// Duplicate-key checks probe the tables through their bloom filters and
// search the memtables only for keys a set of recently written index keys
// may hold (recent.go): on the replica path, the memtable's skiplist
// searches for keys that do not exist took a third of the CPU.
//
// A read that meets a corrupt table returns an error wrapping ErrCorrupt
// and marks the store unhealthy (Health), instead of Pebble's default
// Fatalf; Check verifies a stopped store offline: table checksums, every
// chain's links and Merkle trees, and the indexes against the entries
// (health.go, check.go). Package storetest damages tables for tests.
//
// Appends of other issuers' blocks are not fsynced: after a power loss a
// replica may lose its newest blocks and fetches them again. The builder's
// own blocks and pending entries are fsynced before anyone learns of them.
//
// With Options.MinFreeBytes set, the store watches its disk (package
// diskspace, space.go) and refuses a write with ErrDiskFull before Pebble
// could meet ENOSPC, which it treats as fatal: new pending entries below
// the reserve, other issuers' blocks below the lower threshold, any write
// that would not fit once flushed. Pebble's WAL preallocation is bounded
// and a write that meets ENOSPC anyway deletes the ballast and is retried
// (diskfs.go); Pebble's errors are logged rate-limited (pebblelog.go).
//
// Pebble cannot survive a failed write of its WAL or MANIFEST (Fatalf, a
// panic), but retries a failed flush or compaction. So dbReserve (1 MiB
// and 256 bytes per table) is kept for the WAL and the MANIFEST: every
// write of ours leaves it free once flushed, and table writes that would
// take it fail as ENOSPC before the disk is full (diskfs.go). Opening
// read-write writes at once: Pebble flushes the WAL it replays and waits
// for that flush (retrying it for ever), and the first change after
// opening writes a new MANIFEST, a snapshot of every table. A peer stopped
// with writes in its WAL and restarted on a disk that something else
// filled, with the ballast already gone, would hang or panic there. So
// Open, with the disk watched, opens read-write only if the free space
// holds the reserve and the flush: at once if the WAL files alone leave
// that room, else after a read-only open, whose memtables bound what the
// flush writes. With less the database stays open read-only (ReadOnly,
// Disk().ReadOnly): the WAL is replayed into memory only, reads are
// served, every write fails with ErrReadOnly (an ErrDiskFull, so it is
// answered 507 and other issuers' blocks are synced later), a torn tail of
// the pending log is left for the next read-write open to cut, and a
// restart once space is freed opens it read-write. It is not reopened
// read-write while running: every read in flight would have to be
// stopped around the swap of the database.
package store
