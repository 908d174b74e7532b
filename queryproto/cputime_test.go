package queryproto

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system) the process has used.
// Benchmarks report CPU time per operation beside wall-clock rates: on a
// shared machine the rates swing with other processes' load, the CPU
// time of an operation much less.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
