package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleCSV = `records,seconds,records_per_s,rss_mib,disk_mib,disk_ratio,lookups,lookup_p50_us,lookup_p99_us
20160,0.17,119946,33,6.9,1.588,93,82.6,1146.1
40032,0.47,66825,44,13.8,1.588,0,,
60192,0.93,43280,52,20.9,1.603,125,132.5,8360.2
`

// The samples the scale run writes are read by their column names and
// drawn into two PNG files; an interval without lookups is left out of the
// latency plot, not drawn as zero.
func TestScalePlotsFromSamples(t *testing.T) {
	samples, err := ReadScaleSamples(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 3 || samples[2].Records != 60192 || samples[1].LookupP50us != 0 || samples[0].DiskRatio != 1.588 {
		t.Fatalf("read %+v", samples)
	}
	dir := t.TempDir()
	if err := WriteScalePlots(samples, dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scale-ingest.png", "scale-lookup.png"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Fatalf("%s: %d bytes, not a PNG", name, len(b))
		}
	}
}

// A file that is not the scale run's samples is refused with the reason.
func TestScaleSamplesRefusesOtherFiles(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"header only":    "records,records_per_s,disk_ratio,lookup_p50_us,lookup_p99_us\n",
		"missing column": "records,records_per_s\n1,2\n",
		"not a number":   "records,records_per_s,disk_ratio,lookup_p50_us,lookup_p99_us\nx,1,1,1,1\n",
	} {
		if _, err := ReadScaleSamples(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
