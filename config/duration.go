package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in config.toml as a Go duration
// string: "10s", "1m30s", "500ms".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes d as time.Duration.String does ("10s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string; a bare number is refused,
// since its unit would be a guess.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"10s\" or \"500ms\"", b)
	}
	*d = Duration(v)
	return nil
}
