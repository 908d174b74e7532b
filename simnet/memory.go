package simnet

import (
	"bufio"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Memory is the process's memory, in MiB.
type Memory struct {
	HeapInuseMiB float64 `json:"heap_inuse_mib"`
	// StackMiB is the goroutines' stacks.
	StackMiB   float64 `json:"stack_mib"`
	SysMiB     float64 `json:"go_sys_mib"`
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	Goroutines int     `json:"goroutines"`
}

// readMemory reads runtime.MemStats and, on Linux, /proc/self/status.
func readMemory() Memory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := Memory{
		HeapInuseMiB: mib(ms.HeapInuse), StackMiB: mib(ms.StackInuse), SysMiB: mib(ms.Sys), Goroutines: runtime.NumGoroutine(),
	}
	m.RSSMiB, m.PeakRSSMiB = procStatus("VmRSS:"), procStatus("VmHWM:")
	return m
}

func mib(b uint64) float64 { return float64(b*10/(1<<20)) / 10 }

// procStatus reads a kB field of /proc/self/status, in MiB (0 elsewhere).
func procStatus(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, field) {
			continue
		}
		parts := strings.Fields(line[len(field):])
		if len(parts) == 0 {
			return 0
		}
		kb, _ := strconv.ParseFloat(parts[0], 64)
		return float64(int(kb*10/1024)) / 10
	}
	return 0
}

// writeHeapProfile writes the heap profile (as of the last GC) to path;
// a failure only loses the profile.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup("heap").WriteTo(f, 0)
}
