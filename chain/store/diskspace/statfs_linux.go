package diskspace

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func statfs(dir string) (Usage, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		return Usage{}, err
	}
	return Usage{AvailBytes: s.Bavail * uint64(s.Bsize), TotalBytes: s.Blocks * uint64(s.Bsize)}, nil
}

func allocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return writeZeros(f, size)
	}
	return err
}
