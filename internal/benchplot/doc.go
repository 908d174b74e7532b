// Command benchplot draws the plots of docs/BENCHMARKS.md from the samples
// the benchmarks write, so that a figure in the docs is redrawn from a run
// by one command.
//
// The one-peer scale run (make bench-scale with SCALE_SAMPLES_DIR set)
// writes scale-samples.csv; then
//
//	go run ./internal/benchplot -scale DIR/scale-samples.csv -out docs/images
//
// writes scale-ingest.png (ingest rate, and the disk used against the
// entries' bytes, against the records stored) and scale-lookup.png (the
// p50 and p99 latency of lookups with proof made during ingest, against
// the records stored).
package main
