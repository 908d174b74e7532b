package explorer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where the Makefile installs Chromium (Debian's package);
// CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser starts headless Chromium and returns a tab's context and the
// errors its console collects. It fails the test, never skips it, when
// Chromium cannot start: the browser tests are part of `make test`.
func browser(t *testing.T, width, height int64) (context.Context, *consoleErrors) {
	t.Helper()
	path := chromiumPath()
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("Chromium is not at %s (`make test` installs Debian's chromium package; or set CHROMIUM): %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the machines run tests as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(width), int(height)),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	errs := &consoleErrors{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.Type == chromedp.ConsoleException {
				errs.add(fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL))
			}
		}
	}()
	return ctx, errs
}

// consoleErrors collects what the page's console shows as an error or a
// warning: console.error calls, uncaught exceptions and the browser's own
// entries (a failed load, a refusal of the content security policy).
type consoleErrors struct {
	mu   sync.Mutex
	list []string
}

func (c *consoleErrors) add(m string) {
	c.mu.Lock()
	c.list = append(c.list, m)
	c.mu.Unlock()
}

func (c *consoleErrors) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.list {
		t.Errorf("the console shows %s", m)
	}
}

// evaluate runs a JavaScript expression whose value is a promise and
// decodes what it resolves to into out.
func evaluate[T any](expr string, out *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
		*out = v
		return err
	})
}

// waitJS waits until a JavaScript condition holds in the page.
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
		return err
	})
}

// run runs actions, failing the test with the step under way and what
// the page shows.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main')?.innerText ?? '').slice(0, 3000) + ' | error: ' + (document.getElementById('error')?.innerText ?? '')`))
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: timed out; the page shows: %s", step, body)
		}
		t.Fatalf("%s: %v; the page shows: %s", step, err, body)
	}
}

// screenshot writes docs/images/<name>.png when EXPLORER_SCREENSHOTS is
// set (so ordinary runs leave the tree alone).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !shooting() {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile("../docs/images/"+name+".png", png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func shooting() bool { return os.Getenv("EXPLORER_SCREENSHOTS") != "" }
