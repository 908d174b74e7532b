package config

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// readPrivate reads a file that only its owner may read, as ssh does for
// private keys: a file readable or writable by group or others is refused
// with its mode and the chmod that fixes it. The mode is checked on the
// opened file, so the file cannot be swapped between check and read. The
// check is skipped on Windows, which has no such mode bits.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o, which lets group or others access it; it must be readable by its owner only: run chmod 600 %s",
			ErrPermissions, path, perm, path)
	}
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// privateFileMode is the mode of key and secret files.
const privateFileMode fs.FileMode = 0o600
