// Package storetest damages a store's database on purpose, for tests of
// what the store, a peer and `credmesh check` do with a corrupt table. It
// works on the files of a closed database, as a failing disk would.
package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/sstable/block"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Flush opens the closed database in dir, writes what only its WAL holds
// into tables, and closes it: a store closes without flushing, and only
// tables can be damaged by CorruptBlockOf.
func Flush(dir string) error {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quiet{}})
	if err != nil {
		return err
	}
	if err := db.Flush(); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// CorruptBlockOf flips bytes in the middle of the data block that holds
// key in the live table holding it, so that block's checksum fails, and
// returns the table's file name. The database in dir must be closed and
// key must be in a table (see Flush).
func CorruptBlockOf(dir string, key []byte) (string, error) {
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: quiet{}})
	if err != nil {
		return "", err
	}
	levels, err := db.SSTables()
	db.Close()
	if err != nil {
		return "", err
	}
	for _, tables := range levels {
		for _, t := range tables {
			if bytes.Compare(key, t.Smallest.UserKey) < 0 || bytes.Compare(key, t.Largest.UserKey) > 0 {
				continue
			}
			file := fmt.Sprintf("%06d.sst", uint64(t.BackingSSTNum))
			path := filepath.Join(dir, file)
			off, found, err := blockOf(path, t.Smallest.UserKey, key)
			if err != nil {
				return "", fmt.Errorf("storetest: %s: %w", file, err)
			}
			if !found {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			for i := off; i < off+8; i++ {
				data[i] ^= 0xff
			}
			return file, os.WriteFile(path, data, 0o644)
		}
	}
	return "", fmt.Errorf("storetest: no table holds key %x", key)
}

// blockOf returns an offset in the middle of the data block of the table
// at path that holds key, whose smallest key is smallest.
func blockOf(path string, smallest, key []byte) (int64, bool, error) {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return 0, false, err
	}
	readable, err := objstorageprovider.NewFileReadable(f, vfs.Default, objstorageprovider.NewReadaheadConfig(), path)
	if err != nil {
		f.Close()
		return 0, false, err
	}
	r, err := sstable.NewReader(context.Background(), readable, sstable.ReaderOptions{})
	if err != nil {
		readable.Close()
		return 0, false, err
	}
	defer r.Close()
	it, err := r.NewIter(sstable.NoTransforms, nil, nil, sstable.AssertNoBlobHandles)
	if err != nil {
		return 0, false, err
	}
	kv := it.SeekGE(key, 0)
	found := kv != nil && bytes.Equal(kv.K.UserKey, key)
	if err := it.Close(); err != nil || !found {
		return 0, false, err
	}
	layout, err := r.Layout()
	if err != nil {
		return 0, false, err
	}
	// The data blocks from the table's first up to key's end where key's
	// block ends; the table has no value blocks.
	end, err := r.EstimateDiskUsage(smallest, key, sstable.NoReadEnv)
	if err != nil {
		return 0, false, err
	}
	for _, h := range layout.Data {
		if h.Offset+h.Length+block.TrailerLen == end {
			return int64(h.Offset + h.Length/2), true, nil
		}
	}
	return 0, false, fmt.Errorf("no data block ends at %d", end)
}

// quiet drops Pebble's messages; a fatal one still stops the test.
type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// EntryKey is the database key of entry index of issuer's block at
// height, as chain/store/doc.go lays it out: 'e' issuer height index.
func EntryKey(issuer [32]byte, height uint64, index uint32) []byte {
	k := append([]byte{'e'}, issuer[:]...)
	k = binary.BigEndian.AppendUint64(k, height)
	return binary.BigEndian.AppendUint32(k, index)
}
