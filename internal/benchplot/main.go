package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	scale := flag.String("scale", "", "scale-samples.csv written by the scale run (SCALE_SAMPLES_DIR)")
	out := flag.String("out", "docs/images", "directory to write the PNG files to")
	flag.Parse()
	if err := run(*scale, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(scale, out string) error {
	if scale == "" {
		return fmt.Errorf("benchplot: -scale is required")
	}
	f, err := os.Open(scale)
	if err != nil {
		return err
	}
	defer f.Close()
	samples, err := ReadScaleSamples(f)
	if err != nil {
		return fmt.Errorf("%s: %w", scale, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return WriteScalePlots(samples, out)
}
