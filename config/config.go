package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	ma "github.com/multiformats/go-multiaddr"
)

// ConfigFile is the name of the configuration file in a peer's home.
const ConfigFile = "config.toml"

// Config is a peer's config.toml. Start from Default, change what you need,
// and call Validate; Load does all of this for a file. The toml tags are the
// keys of the file; the environment variable of a key is
// CREDMESH_<SECTION>_<KEY> upper-cased (see ApplyEnv).
type Config struct {
	// Name is the institution's display name, shown in logs, status and
	// the explorer: 1 to 64 characters, no control characters. Required.
	Name string `toml:"name" comment:"Institution display name, 1 to 64 characters. Required."`
	// P2P configures the libp2p host.
	P2P P2PConfig `toml:"p2p"`
	// API configures the local HTTP JSON API.
	API APIConfig `toml:"api"`
	// Store configures the database under <home>/data.
	Store StoreConfig `toml:"store"`
	// Log configures the structured log on standard error.
	Log LogConfig `toml:"log"`
}

// P2PConfig is the [p2p] section.
type P2PConfig struct {
	// Listen are the multiaddrs the host listens on, without /p2p/ (the
	// peer ID comes from the key). At least one. Default: TCP and QUIC on
	// port 7600 of every interface.
	Listen []string `toml:"listen" comment:"Multiaddrs to listen on (TCP and QUIC), without /p2p/. At least one."`
	// Bootstrap are multiaddrs of peers dialled at start to join the DHT;
	// each must end in /p2p/<peer-id>. Empty means the genesis members'
	// addresses.
	Bootstrap []string `toml:"bootstrap" comment:"Multiaddrs ending in /p2p/<peer-id> to dial at start. Empty: the genesis members' addrs."`
	// MaxPeers is the connection manager's high-water mark, in
	// connections: 10 to 10000. Default 200.
	MaxPeers int `toml:"max_peers" comment:"Connections kept before the oldest unprotected are trimmed, 10 to 10000."`
}

// APIConfig is the [api] section.
type APIConfig struct {
	// Listen is the host:port of the HTTP API. Default 127.0.0.1:7680.
	// An empty host, a wildcard or any non-loopback address exposes the
	// API to the network and then requires Token.
	Listen string `toml:"listen" comment:"host:port of the HTTP API. A non-loopback host requires a token."`
	// Token is the bearer token clients must send. Optional on a loopback
	// address, required elsewhere; when set, at least 16 printable ASCII
	// characters without spaces.
	Token string `toml:"token" comment:"Bearer token, at least 16 printable ASCII characters; required unless listen is a loopback address."`
}

// StoreConfig is the [store] section.
type StoreConfig struct {
	// CacheMB is the database block cache, in MiB: 8 to 65536. Default 128.
	CacheMB int `toml:"cache_mb" comment:"Database block cache in MiB, 8 to 65536."`
}

// LogConfig is the [log] section.
type LogConfig struct {
	// Level is the least severe level written: debug, info, warn or error.
	// Default info.
	Level string `toml:"level" comment:"debug, info, warn or error."`
	// Format is text (key=value) or json. Default text.
	Format string `toml:"format" comment:"text or json."`
}

// Bounds of the numeric fields.
const (
	MaxNameChars = 64
	MinMaxPeers  = 10
	MaxMaxPeers  = 10000
	MinCacheMB   = 8
	MaxCacheMB   = 65536
	MinTokenLen  = 16
)

// Default returns the configuration of a new peer. Its Name is empty, so it
// does not validate until one is set.
func Default() Config {
	return Config{
		P2P: P2PConfig{
			Listen:    []string{"/ip4/0.0.0.0/tcp/7600", "/ip4/0.0.0.0/udp/7600/quic-v1"},
			Bootstrap: []string{},
			MaxPeers:  200,
		},
		API:   APIConfig{Listen: "127.0.0.1:7680"},
		Store: StoreConfig{CacheMB: 128},
		Log:   LogConfig{Level: "info", Format: "text"},
	}
}

// Validate checks every field and reports every one that is off, each as a
// *FieldError naming config.toml and the field; the result wraps ErrInvalid.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(ConfigFile, field, format, args...))
	}

	if err := checkName(c.Name); err != "" {
		bad("name", "%s", err)
	}

	if len(c.P2P.Listen) == 0 {
		bad("p2p.listen", "at least one address is required")
	}
	for i, s := range c.P2P.Listen {
		if err := checkListenAddr(s); err != "" {
			bad(fmt.Sprintf("p2p.listen[%d]", i), "%s", err)
		}
	}
	for i, s := range c.P2P.Bootstrap {
		if err := checkBootstrapAddr(s); err != "" {
			bad(fmt.Sprintf("p2p.bootstrap[%d]", i), "%s", err)
		}
	}
	if c.P2P.MaxPeers < MinMaxPeers || c.P2P.MaxPeers > MaxMaxPeers {
		bad("p2p.max_peers", "%d is outside %d..%d", c.P2P.MaxPeers, MinMaxPeers, MaxMaxPeers)
	}

	loopback, err := checkHostPort(c.API.Listen)
	if err != "" {
		bad("api.listen", "%s", err)
	}
	switch {
	case c.API.Token != "":
		if err := checkToken(c.API.Token); err != "" {
			bad("api.token", "%s", err)
		}
	case err == "" && !loopback:
		bad("api.token", "required when api.listen (%s) is not a loopback address", c.API.Listen)
	}

	if c.Store.CacheMB < MinCacheMB || c.Store.CacheMB > MaxCacheMB {
		bad("store.cache_mb", "%d is outside %d..%d", c.Store.CacheMB, MinCacheMB, MaxCacheMB)
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	return errors.Join(errs...)
}

// checkName checks a display name; it returns what is wrong, or "".
func checkName(s string) string {
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.TrimSpace(s) == "":
		return "required: 1 to 64 characters"
	case n > MaxNameChars:
		return fmt.Sprintf("has %d characters, at most %d are allowed", n, MaxNameChars)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return fmt.Sprintf("contains a control character (%q)", s[i:i+1])
	}
	return ""
}

func checkListenAddr(s string) string {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return fmt.Sprintf("%q is not a multiaddr: %v", s, err)
	}
	for _, c := range m {
		if c.Code() == ma.P_P2P {
			return fmt.Sprintf("%q must not contain /p2p/: the peer ID comes from the key", s)
		}
	}
	return ""
}

func checkBootstrapAddr(s string) string {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return fmt.Sprintf("%q is not a multiaddr: %v", s, err)
	}
	if len(m) < 2 || m[len(m)-1].Code() != ma.P_P2P {
		return fmt.Sprintf("%q must be an address followed by /p2p/<peer-id>", s)
	}
	return ""
}

// checkHostPort checks host:port and reports whether host is a loopback
// address (localhost, 127.0.0.0/8, ::1).
func checkHostPort(s string) (loopback bool, problem string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false, fmt.Sprintf("%q is not host:port: %v", s, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false, fmt.Sprintf("%q: port %q is not a number in 0..65535", s, port)
	}
	if host == "localhost" {
		return true, ""
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback(), ""
}

func checkToken(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Sprintf("character %d is not printable ASCII (spaces are not allowed either)", i+1)
		}
	}
	if len(s) < MinTokenLen {
		return fmt.Sprintf("has %d characters, at least %d are required", len(s), MinTokenLen)
	}
	return ""
}

// Load reads the configuration of a peer: Default, then the file at path,
// then the CREDMESH_* environment variables (ApplyEnv), then Validate.
// Command-line flags are the caller's to apply after Load, followed by
// another Validate. Errors are *FieldError values naming path (or the
// environment variable) and the field, with line and column for mistakes
// in the file; keys the file should not have are refused.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c := Default()
	if err := decodeTOML(path, data, &c); err != nil {
		return Config{}, err
	}
	fromEnv, err := applyEnv(&c, os.Environ())
	if err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, blame(err, path, fromEnv)
	}
	return c, nil
}

// blame names, in the FieldErrors of err, the environment variable that
// set a field, or else the file.
func blame(err error, path string, fromEnv map[string]string) error {
	withFile(err, path)
	visitFieldErrors(err, func(fe *FieldError) {
		field := fe.Field
		if i := strings.IndexByte(field, '['); i >= 0 {
			field = field[:i]
		}
		if v, ok := fromEnv[field]; ok {
			fe.File = "environment"
			fe.Field = v + " (" + fe.Field + ")"
		}
	})
	return err
}

func visitFieldErrors(err error, f func(*FieldError)) {
	if fe, ok := err.(*FieldError); ok {
		f(fe)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			visitFieldErrors(e, f)
		}
	}
}

// decodeTOML decodes data over c, refusing unknown keys.
func decodeTOML(file string, data []byte, c *Config) error {
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(c)
	if err == nil {
		return nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			key := []string(de.Key())
			msg := "unknown key"
			if known := knownKeys(reflect.TypeFor[Config](), key[:len(key)-1]); len(known) > 0 {
				msg += " (known here: " + strings.Join(known, ", ") + ")"
			}
			errs = append(errs, &FieldError{File: file, Field: strings.Join(key, "."), Line: line, Column: col, Msg: msg, Err: de})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &FieldError{File: file, Field: strings.Join(de.Key(), "."), Line: line, Column: col,
			Msg: strings.TrimPrefix(de.Error(), "toml: "), Err: de}
	}
	return &FieldError{File: file, Msg: err.Error(), Err: err}
}

// knownKeys lists the toml keys of the table at path inside t.
func knownKeys(t reflect.Type, path []string) []string {
	for _, name := range path {
		f, ok := fieldByTag(t, name)
		if !ok || f.Type.Kind() != reflect.Struct {
			return nil
		}
		t = f.Type
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := tomlKey(t.Field(i)); tag != "" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tomlKey(t.Field(i)) == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// tomlKey returns the key of a struct field in the file, or "" for a field
// the file does not hold.
func tomlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

const fileHeader = `# credmesh peer configuration.
#
# Precedence: built-in defaults < this file < CREDMESH_<SECTION>_<KEY>
# environment variables (lists comma-separated) < command-line flags.
# Unknown keys are refused. Keep this file private if it holds api.token.

`

// WriteFile validates c and writes it to path as TOML with a comment header
// and a comment per key, atomically (see the package doc), with mode 0600
// since it may hold the API token. An existing file is replaced.
func (c Config) WriteFile(path string) error {
	if err := c.Validate(); err != nil {
		return withFile(err, path)
	}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return fmt.Errorf("config: encoding %s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes(), 0o600)
}
