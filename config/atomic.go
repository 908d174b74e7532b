package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeAtomic replaces path with data so that a reader, or the file system
// after a crash, sees either the old file or the whole new one: the bytes
// go to a temporary file in the same directory, are fsynced, the file is
// renamed over path, and the directory is fsynced so the rename survives.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeViaTemp(path, data, perm, os.Rename)
}

// writeNew is writeAtomic for a file that must not exist yet: the
// temporary file is hard-linked to path, which fails if path exists, so two
// writers cannot both win. The error then wraps fs.ErrExist.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	return writeViaTemp(path, data, perm, linkNew)
}

func linkNew(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// A file system without hard links: check, then rename. A concurrent
	// writer could slip in between; there is no better portable option.
	if _, serr := os.Lstat(path); serr == nil {
		return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	return os.Rename(tmp, path)
}

func writeViaTemp(path string, data []byte, perm fs.FileMode, place func(tmp, path string) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		// After a rename tmp is gone; after a link it is a second name.
		// Either way nothing of this call may stay behind.
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("%s: removing temporary file: %w", path, rerr)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cerr := f.Close()
	f = nil
	if cerr != nil {
		return fmt.Errorf("%s: %w", path, cerr)
	}
	if err := place(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that a rename or link inside it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: sync directory: %w", dir, err)
	}
	return nil
}
