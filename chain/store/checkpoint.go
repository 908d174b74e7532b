package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
)

// Checkpoint writes a consistent copy of the store into dir, which must
// not exist: a Pebble checkpoint of the database (its WAL flushed first),
// and a copy of the pending log beside it, so that the copy opens as this
// store would. The database must be open on disk. The pending log is
// copied as it is now: call Checkpoint while nothing appends to it (the
// store opened by itself, no builder running), or the copy may hold
// pending records the checkpoint's end mark does not know, which
// LoadPending would find as damage.
func (s *Store) Checkpoint(dir string) error {
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("store: checkpoint into %s: %w", dir, err)
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	src := s.pool.dir
	ents, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading the pending log: %w", err)
	}
	dst := filepath.Join(dir, pendingDir)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return fmt.Errorf("store: copying the pending log: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
