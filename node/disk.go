package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/store/diskspace"
	"github.com/prometheus/client_golang/prometheus"
)

// Disk space (docs/OPERATIONS.md, "Disk space"): the store refuses writes
// before its disk is full (package diskspace); the node turns a refusal of
// submissions into HTTP 507, shows the state in status and /metrics, and
// runs the watch's upkeep (logging, the ballast) from Run.

// diskEvery is how often Run's disk goroutine checks the disk when nothing
// is written: it logs the condition (once a minute at most) and makes the
// ballast again once there is room.
const diskEvery = 2 * time.Second

// storeDiskOptions returns the store options of the [store] settings.
func (n *Node) storeDiskOptions(o store.Options) store.Options {
	c := n.opts.Config.Store
	o.MinFreeBytes = int64(c.MinFreeMB) << 20
	o.ReplicaMinFreeBytes = int64(c.ReplicaMinFreeMB) << 20
	o.BallastBytes = int64(c.BallastMB) << 20
	return o
}

// watchDisk starts the disk goroutine; the returned function stops it and
// waits, and must be called before the store closes.
func (n *Node) watchDisk() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(diskEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n.store.MaintainDisk()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// checkDisk returns an api.ErrInsufficientStorage error when the disk is
// below its reserve, before anything of a submission is written.
func (n *Node) checkDisk() error {
	st, ok := n.store.Disk()
	if !ok || st.Level == diskspace.OK {
		return nil
	}
	return n.diskFull(st)
}

func (n *Node) diskFull(st diskspace.State) error {
	if st.ReadOnly {
		return fmt.Errorf("%w: the peer started on a disk too full to write its database (%.1f MiB free now), which is open read-only: no records are accepted and other members' blocks are not stored until space is freed and the peer restarted; lookups go on (see docs/OPERATIONS.md, Disk space)",
			api.ErrInsufficientStorage, float64(st.FreeBytes)/(1<<20))
	}
	return fmt.Errorf("%w: the peer's disk is nearly full (%.1f MiB free, %d MiB kept free by store.min_free_mb), so no records are accepted until space is freed; lookups and replication go on (see docs/OPERATIONS.md, Disk space)",
		api.ErrInsufficientStorage, float64(st.FreeBytes)/(1<<20), n.opts.Config.Store.MinFreeMB)
}

// refusedForSpace reports whether every refusal in errs is for lack of
// space (the disk crossed the reserve between checkDisk and the write), so
// the whole submission is answered 507.
func refusedForSpace(errs []error) bool {
	some := false
	for _, e := range errs {
		if e == nil {
			return false
		}
		if errors.Is(e, store.ErrDiskFull) {
			some = true
		}
	}
	return some
}

// diskStatus is the disk part of Status (nil for an in-memory store).
func (n *Node) diskStatus() *api.DiskStatus {
	st, ok := n.store.Disk()
	if !ok {
		return nil
	}
	d := &api.DiskStatus{
		FreeBytes: st.FreeBytes, TotalBytes: st.TotalBytes, ReserveBytes: st.ReserveBytes,
		ReplicaFloorBytes: st.FloorBytes, BallastBytes: st.BallastBytes,
		Low: st.Level >= diskspace.Low, ReplicasPaused: st.Level >= diskspace.Critical,
		ReadOnly: st.ReadOnly,
	}
	if st.Err != nil {
		d.Error = st.Err.Error()
	}
	return d
}

// diskMetrics are the disk gauges of /metrics.
func (n *Node) diskMetrics(gauge func(name, help string, f func() float64) prometheus.Collector, counter func(name, help string, f func() uint64) prometheus.Collector) []prometheus.Collector {
	disk := func(f func(diskspace.State) float64) func() float64 {
		return func() float64 {
			st, ok := n.store.Disk()
			if !ok {
				return 0
			}
			return f(st)
		}
	}
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	return []prometheus.Collector{
		gauge("disk_free_bytes", "Free space of the data directory, less what the database has yet to flush.", disk(func(s diskspace.State) float64 { return float64(s.FreeBytes) })),
		gauge("disk_reserve_bytes", "Free space below which submissions are refused with 507 (store.min_free_mb).", disk(func(s diskspace.State) float64 { return float64(s.ReserveBytes) })),
		gauge("disk_replica_floor_bytes", "Free space below which other members' blocks are not stored (store.replica_min_free_mb).", disk(func(s diskspace.State) float64 { return float64(s.FloorBytes) })),
		gauge("disk_ballast_bytes", "Size of the ballast file in place (0: deleted or none).", disk(func(s diskspace.State) float64 { return float64(s.BallastBytes) })),
		gauge("disk_low", "1 while submissions are refused for lack of disk space.", disk(func(s diskspace.State) float64 { return flag(s.Level >= diskspace.Low) })),
		gauge("disk_replicas_paused", "1 while other members' blocks are not stored for lack of disk space.", disk(func(s diskspace.State) float64 { return flag(s.Level >= diskspace.Critical) })),
		gauge("disk_read_only", "1 while the database is open read-only: the peer started on a disk with no room for it, and takes writes again only once restarted.", disk(func(s diskspace.State) float64 { return flag(s.ReadOnly) })),
		counter("store_background_errors_total", "Background errors (failed flushes and compactions) the database reported.", n.store.BackgroundErrors),
	}
}
