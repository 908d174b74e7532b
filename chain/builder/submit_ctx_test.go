package builder_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// A submission the loop has taken but not answered returns when its
// context ends, instead of waiting for the loop: here the loop is not
// running at all, so only the context can end the wait.
func TestSubmitHonoursItsContextWhileWaiting(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := builder.New(builder.Config{Params: params(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	errs, err := b.Submit(ctx, events(0, 3))
	if !errors.Is(err, context.DeadlineExceeded) || errs != nil {
		t.Fatalf("Submit with no loop to answer it = %v, %v; want the context's error", errs, err)
	}
	if errors.Is(err, builder.ErrClosed) {
		t.Fatal("a builder that was never closed answered ErrClosed")
	}
}
