// Package diskspace watches the free space of the file system that holds a
// peer's data, so that the peer stops taking on work before the disk is
// full instead of failing in the middle of a write. Pebble treats a failed
// write of its WAL or MANIFEST as fatal and retries a failed flush or
// compaction at once, in a loop; the only safe way through a full disk is
// never to let the database meet ENOSPC.
//
// A Watch compares the free space (statfs of the data directory, less the
// bytes the database has accepted but not yet flushed: a flush needs about
// as much again before it can delete its WAL) with two thresholds, in the
// manner of etcd's quota:
//
//	free >= Reserve          OK: everything is accepted
//	Floor <= free < Reserve  Low: the peer's own submissions are refused
//	free < Floor             Critical: blocks of other members are not
//	                         stored either (they are synced later)
//
// What is already accepted is always sealed: the reserve is the room for
// it. Below the floor the Watch also deletes the ballast, a file of
// BallastBytes it keeps in the data directory (CockroachDB's emergency
// ballast), so that a peer on a disk that something else filled still has
// room to open, replay, seal and shut down cleanly; it is made again once
// the free space after it would still be above Reserve. Should even that
// not leave room for the database to open for writing, the store opens it
// read-only and calls SetReadOnly: the level is Critical from then on,
// whatever the free space, until the peer is restarted, and the log says
// so.
//
// A check is one statfs (0.6 µs measured, BenchmarkCheck) and, within
// 1 GiB of the reserve, one read of the database's metrics (7 µs in all,
// store's BenchmarkDiskCheck): cheap enough for every group-commit batch,
// which waits for an fsync anyway. At 100k records/s a small disk fills in
// seconds, so a value cached for a second would be too coarse. The state is logged when it changes and
// at most once every LogEvery while it lasts, never per write. Time is
// passed in (Config.Now) so that the rate of logging is testable.
package diskspace
