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

// readConfigFile reads config.toml, which sets where the peer listens,
// whom it dials and, maybe, the API token: a file that group or others
// may write is refused as the key is, with the chmod that fixes it.
// Whether others may read it depends on what it holds (checkConfigMode).
func readConfigFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
	}
	perm := st.Mode().Perm()
	if perm&0o022 != 0 && runtime.GOOS != "windows" {
		return nil, 0, fmt.Errorf("%w: %s has mode %04o, which lets group or others change it (and so where the peer listens and whom it dials); it must be writable by its owner only: run chmod 600 %s",
			ErrPermissions, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return data, perm, err
}

// checkConfigMode refuses a config.toml that holds the API token and that
// group or others may read: the token is a secret like the key.
func checkConfigMode(path string, perm fs.FileMode, c *Config) error {
	if c.API.Token != "" && perm&0o044 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("%w: %s holds api.token and has mode %04o, which lets group or others read it: run chmod 600 %s (or set the token in CREDMESH_API_TOKEN instead)",
			ErrPermissions, path, perm, path)
	}
	return nil
}
