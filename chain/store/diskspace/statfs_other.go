//go:build !linux

package diskspace

import (
	"os"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func statfs(dir string) (Usage, error) {
	u, err := vfs.Default.GetDiskUsage(dir)
	if err != nil {
		return Usage{}, err
	}
	return Usage{AvailBytes: u.AvailBytes, TotalBytes: u.TotalBytes}, nil
}

func allocate(f *os.File, size int64) error { return writeZeros(f, size) }
