package store

import (
	"path/filepath"
	"testing"
)

// A checkpoint opens as the store it was taken from: the same heads.
func TestCheckpointOpensWithTheSameHeads(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(filepath.Join(dir, "data"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := lenderBlock(t)
	if err := st.Append(mustVerify(t, nil, b)...); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "copy")
	if err := st.Checkpoint(cp); err != nil {
		t.Fatal(err)
	}
	st.Close()
	again, err := Open(cp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if h := again.Heads()[b.Issuer]; h == nil || h.Hash != b.Hash {
		t.Fatalf("the checkpoint's head: %v", h)
	}
}
