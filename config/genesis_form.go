package config

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
)

// The network's identity is the SHA-256 of the genesis file's exact bytes
// (Hash), not of its meaning: a member whose copy differs by one trailing
// space is on another network. The hash is kept over the exact bytes —
// every member already agrees on those, and a canonical form would be a
// second definition of the file to keep in step across implementations —
// and the difference is made visible instead: FormDifference tells a
// file that is not byte for byte what credmesh writes, so the peer can
// warn at start, and `credmesh genesis show` prints the hashes to
// compare with the other members.

// FormDifference reports how the file the genesis was read from differs
// from the bytes credmesh writes for the same genesis (Marshal of a new
// genesis): "" if it does not (or it was not read from a file), else the
// first difference in words, such as "line 7: trailing blanks". canonical
// is the hash of the bytes credmesh writes, which is the network's hash
// if the network's file was written by credmesh genesis new.
func (g *Genesis) FormDifference() (canonical [32]byte, diff string) {
	want := g.encode()
	canonical = sha256.Sum256(want)
	if g.raw == nil || bytes.Equal(g.raw, want) {
		return canonical, ""
	}
	return canonical, describeDifference(g.raw, want)
}

// describeDifference names the first line where have differs from want,
// and how, in an operator's words.
func describeDifference(have, want []byte) string {
	hl := strings.Split(string(have), "\n")
	wl := strings.Split(string(want), "\n")
	for i := 0; i < len(hl) || i < len(wl); i++ {
		switch {
		case i >= len(hl):
			return fmt.Sprintf("line %d: the file ends early (credmesh writes %d lines)", i+1, len(wl)-1)
		case i >= len(wl):
			if strings.TrimSpace(strings.Join(hl[i:], "")) == "" {
				return fmt.Sprintf("line %d: blank lines or blanks after the end of the JSON", i+1)
			}
			return fmt.Sprintf("line %d: more lines than credmesh writes", i+1)
		}
		h, w := hl[i], wl[i]
		if h == w {
			continue
		}
		switch {
		case strings.TrimRight(h, " \t\r") == w:
			return fmt.Sprintf("line %d: trailing blanks", i+1)
		case strings.TrimSpace(h) == strings.TrimSpace(w):
			return fmt.Sprintf("line %d: indentation (credmesh indents with two spaces per level)", i+1)
		case strings.Join(strings.Fields(h), "") == strings.Join(strings.Fields(w), ""):
			return fmt.Sprintf("line %d: spacing", i+1)
		default:
			return fmt.Sprintf("line %d: %q where credmesh writes %q", i+1, clip(strings.TrimSpace(h)), clip(strings.TrimSpace(w)))
		}
	}
	return "the line endings differ"
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
