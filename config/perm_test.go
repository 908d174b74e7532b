package config_test

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
)

// config.toml decides where the peer listens and whom it dials: one that
// group or others may write is refused like the key, with the chmod that
// fixes it; one that others may read is fine unless it holds the token.
func TestLoadRefusesOpenConfigModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	plain := "name = \"Example Bank\"\n"
	withToken := plain + "[api]\ntoken = \"0123456789abcdef0123\"\n"
	for _, tc := range []struct {
		content string
		mode    os.FileMode
		refused bool
	}{
		{plain, 0o600, false},
		{plain, 0o644, false},
		{plain, 0o666, true},
		{plain, 0o620, true},
		{plain, 0o602, true},
		{withToken, 0o600, false},
		{withToken, 0o640, true},
		{withToken, 0o604, true},
	} {
		p := writeTemp(t, "config.toml", tc.content)
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(p)
		if !tc.refused {
			if err != nil {
				t.Errorf("mode %04o, token %v: %v", tc.mode, tc.content != plain, err)
			}
			continue
		}
		if !errors.Is(err, config.ErrPermissions) || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("mode %04o, token %v: got %v, want ErrPermissions with the chmod hint", tc.mode, tc.content != plain, err)
		}
	}
}
