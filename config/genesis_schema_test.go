package config_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaFile = "../docs/genesis.schema.json"

func genesisSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaFile, err)
	}
	return sch
}

// testFingerprint is a well-formed params.subject_secret_fingerprint.
var testFingerprint = config.SecretFingerprint("credmesh-test", testSecret)

// decodeDoc decodes a genesis file as JSON, numbers kept as written.
func decodeDoc(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func loadBytes(t *testing.T, data []byte) (*config.Genesis, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return config.LoadGenesis(p)
}

func instance(t *testing.T, data []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return v
}

func encodeJSON(t *testing.T, doc any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The genesis files the Go implementation writes, in several shapes, and
// the ones devnet installs, are valid under docs/genesis.schema.json.
func TestGenesisSchemaAcceptsWhatMarshalWrites(t *testing.T) {
	sch := genesisSchema(t)
	key := func() ed25519.PrivateKey {
		k, err := config.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	member := func(name string, roles []config.Role, addrs ...string) config.Member {
		m := config.Member{ID: peerid.OfKey(key()), Name: name, Roles: roles}
		for _, a := range addrs {
			m.Addrs = append(m.Addrs, ma.StringCast(a))
		}
		return m
	}
	all := []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}
	fp := func(network string, p config.GenesisParams) config.GenesisParams {
		p.SubjectSecretFingerprint = config.SecretFingerprint(network, config.GenerateSecret())
		return p
	}
	shapes := map[string]*config.Genesis{
		"one member, defaults, free": config.NewGenesis("a", time.Now(), []config.Member{member("A", []config.Role{config.RoleCredit})}, fp("a", config.GenesisParams{})),
		"three members, a fee, an offset time": config.NewGenesis("credmesh-test", time.Date(2026, 11, 1, 8, 30, 0, 123456789, time.FixedZone("CST", 8*3600)), []config.Member{
			member("Shenzhen Tax Bureau 深圳市税务局", []config.Role{config.RolePayments, config.RoleQuery}, "/ip4/10.0.0.1/tcp/7600", "/ip4/10.0.0.1/udp/7600/quic-v1"),
			member("Bank & Co <Ltd>", []config.Role{config.RoleCredit, config.RoleQuery}, "/dns4/bank.example/tcp/7600"),
			member("Lender", []config.Role{config.RoleQuery}, "/ip6/::1/tcp/7600"),
		}, fp("credmesh-test", config.GenesisParams{BlockInterval: 250 * time.Millisecond, MaxBlockEntries: 512, QueryFeeMinor: 150, FeeCurrency: "EUR"})),
		"bounds of every parameter": config.NewGenesis(strings.Repeat("n", 64), time.Unix(0, 1), []config.Member{member(strings.Repeat("名", 64), all)}, fp(strings.Repeat("n", 64), config.GenesisParams{
			BlockInterval: time.Hour, MaxBlockEntries: 65536, MaxBlockBytes: 4 << 20, MaxEntryBytes: 64 << 10,
			MaxClockSkew: 90 * time.Second, QueryFeeMinor: 1_000_000_000_000_000, FeeCurrency: "CNY",
		})),
		"free with a currency": config.NewGenesis("free-net", time.Now(), []config.Member{member("M", all)}, fp("free-net", config.GenesisParams{BlockInterval: 10 * time.Millisecond, MaxEntryBytes: 256, MaxBlockBytes: 256, FeeCurrency: "CNY"})),
	}
	files := map[string][]byte{}
	for name, g := range shapes {
		data, err := g.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[name] = data
	}
	n, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "schema-net"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range n.Homes {
		data, err := os.ReadFile(h.GenesisPath())
		if err != nil {
			t.Fatal(err)
		}
		files["devnet "+filepath.Base(string(h))] = data
	}
	for name, data := range files {
		if err := sch.Validate(decodeDoc(t, data)); err != nil {
			t.Errorf("%s: the schema refuses it: %v\n%s", name, err, data)
		}
	}
}

// A genesis breaking any rule the schema states is refused by the schema
// and by LoadGenesis alike; the rules the schema cannot state (listed in
// its description) are refused by LoadGenesis only.
func TestGenesisSchemaRefusesWhatLoadGenesisRefuses(t *testing.T) {
	sch := genesisSchema(t)
	n := newTestNet(t)
	valid := encodeJSON(t, decodeDoc(t, []byte(n.data)))
	if err := sch.Validate(instance(t, valid)); err != nil {
		t.Fatalf("the valid genesis: %v", err)
	}
	if _, err := loadBytes(t, valid); err != nil {
		t.Fatalf("LoadGenesis refuses the valid genesis: %v", err)
	}
	id1 := n.members[1].ID
	_, secpPub, _ := crypto.GenerateSecp256k1Key(rand.Reader)
	secpID, _ := peer.IDFromPublicKey(secpPub)

	type doc = map[string]any
	mem := func(d doc, i int) doc { return d["members"].([]any)[i].(doc) }
	params := func(d doc) doc { return d["params"].(doc) }
	set := func(f func(doc) doc, key string, v any) func(doc) { return func(d doc) { f(d)[key] = v } }
	del := func(f func(doc) doc, key string) func(doc) { return func(d doc) { delete(f(d), key) } }
	top := func(d doc) doc { return d }
	m0 := func(d doc) doc { return mem(d, 0) }
	m1 := func(d doc) doc { return mem(d, 1) }
	num := func(s string) json.Number { return json.Number(s) }

	cases := []struct {
		name string
		edit func(doc)
		// goOnly: a rule the schema cannot state; the schema accepts it.
		goOnly bool
	}{
		{name: "no network_id", edit: del(top, "network_id")},
		{name: "network_id with upper case", edit: set(top, "network_id", "Credmesh")},
		{name: "network_id of 65 characters", edit: set(top, "network_id", strings.Repeat("n", 65))},
		{name: "empty network_id", edit: set(top, "network_id", "")},
		{name: "no genesis_time", edit: del(top, "genesis_time")},
		{name: "genesis_time not a time", edit: set(top, "genesis_time", "yesterday")},
		{name: "genesis_time with a comma", edit: set(top, "genesis_time", "2026-11-01T07:30:00,5Z")},
		{name: "genesis_time with z", edit: set(top, "genesis_time", "2026-11-01T07:30:00z")},
		{name: "genesis_time without seconds", edit: set(top, "genesis_time", "2026-11-01T07:30Z")},
		{name: "genesis_time in month 13", edit: set(top, "genesis_time", "2026-13-01T07:30:00Z")},
		{name: "genesis_time offset 24:00", edit: set(top, "genesis_time", "2026-11-01T07:30:00+24:00")},
		{name: "no members", edit: set(top, "members", []any{})},
		{name: "members null", edit: set(top, "members", nil)},
		{name: "unknown top field", edit: set(top, "retention", num("5"))},
		{name: "member without id", edit: del(m0, "id")},
		{name: "peer ID as a CID", edit: set(m1, "id", peer.ToCid(id1).String())},
		{name: "secp256k1 peer ID", edit: set(m1, "id", secpID.String())},
		{name: "hashed peer ID", edit: set(m1, "id", "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N")},
		{name: "member without name", edit: del(m0, "name")},
		{name: "empty name", edit: set(m0, "name", "")},
		{name: "blank name", edit: set(m0, "name", "   ")},
		{name: "name of no-break spaces", edit: set(m0, "name", "\u00a0\u3000")},
		{name: "name of 65 characters", edit: set(m0, "name", strings.Repeat("名", 65))},
		{name: "name with a line feed", edit: set(m0, "name", "Tax\nAuthority")},
		{name: "name with NEL", edit: set(m0, "name", "Tax\u0085Authority")},
		{name: "name with DEL", edit: set(m0, "name", "Tax\u007f")},
		{name: "member without roles", edit: del(m0, "roles")},
		{name: "no roles", edit: set(m0, "roles", []any{})},
		{name: "unknown role", edit: set(m0, "roles", []any{"pay"})},
		{name: "repeated role", edit: set(m0, "roles", []any{"query", "query"})},
		{name: "roles null", edit: set(m0, "roles", nil)},
		{name: "address with /p2p/", edit: set(m0, "addrs", []any{"/ip4/10.0.0.1/tcp/7600/p2p/" + n.members[0].ID.String()})},
		{name: "address as host:port", edit: set(m0, "addrs", []any{"10.0.0.1:7600"})},
		{name: "addrs null", edit: set(m0, "addrs", nil)},
		{name: "unknown member field", edit: set(m0, "nmae", "Tax")},
		{name: "no params", edit: del(top, "params")},
		{name: "no fingerprint", edit: del(params, "subject_secret_fingerprint")},
		{name: "fingerprint in upper case", edit: set(params, "subject_secret_fingerprint", strings.ToUpper(testFingerprint))},
		{name: "fingerprint of 63 digits", edit: set(params, "subject_secret_fingerprint", testFingerprint[1:])},
		{name: "unknown params field", edit: set(params, "retention_days", num("30"))},
		{name: "max_block_entries 0", edit: set(params, "max_block_entries", num("0"))},
		{name: "max_block_entries 65537", edit: set(params, "max_block_entries", num("65537"))},
		{name: "max_block_entries a string", edit: set(params, "max_block_entries", "512")},
		{name: "max_block_entries 1.5", edit: set(params, "max_block_entries", num("1.5"))},
		{name: "max_entry_bytes 255", edit: set(params, "max_entry_bytes", num("255"))},
		{name: "max_block_bytes over 4 MiB", edit: set(params, "max_block_bytes", num("4194305"))},
		{name: "block_interval not a duration", edit: set(params, "block_interval", "quarter second")},
		{name: "block_interval empty", edit: set(params, "block_interval", "")},
		{name: "block_interval a number", edit: set(params, "block_interval", num("250"))},
		{name: "block_interval without a unit", edit: set(params, "block_interval", "250")},
		{name: "max_clock_skew in words", edit: set(params, "max_clock_skew", "10 minutes")},
		{name: "negative fee", edit: set(params, "query_fee_minor", num("-1"))},
		{name: "fee over the amount limit", edit: set(params, "query_fee_minor", num("1000000000000001"))},
		{name: "fee_currency in lower case", edit: set(params, "fee_currency", "eur")},
		{name: "fee_currency not listed", edit: set(params, "fee_currency", "XYZ")},
		{name: "fee without a currency", edit: set(params, "fee_currency", "")},
		{name: "fee with no fee_currency", edit: del(params, "fee_currency")},
		{name: "a null parameter", edit: set(params, "max_clock_skew", nil)},
		// What the schema cannot state.
		{name: "a member twice", edit: func(d doc) { d["members"] = append(d["members"].([]any), mem(d, 0)) }, goOnly: true},
		{name: "max_block_bytes below max_entry_bytes", edit: set(params, "max_block_bytes", num("1000")), goOnly: true},
		{name: "block_interval of 5ms", edit: set(params, "block_interval", "5ms"), goOnly: true},
		{name: "block_interval over an hour", edit: set(params, "block_interval", "61m"), goOnly: true},
		{name: "max_clock_skew of 11m", edit: set(params, "max_clock_skew", "11m"), goOnly: true},
		{name: "an integer written 512.0", edit: set(params, "max_block_entries", num("512.0")), goOnly: true},
		{name: "an integer written 5e2", edit: set(params, "max_block_entries", num("5e2")), goOnly: true},
		{name: "an address that is no multiaddr", edit: set(m0, "addrs", []any{"/ip4/300.0.0.1/tcp/7600"}), goOnly: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decodeDoc(t, valid)
			tc.edit(d)
			data := encodeJSON(t, d)
			err := sch.Validate(instance(t, data))
			switch {
			case tc.goOnly && err != nil:
				t.Errorf("the schema refuses it, so the rule is no longer Go's only (move it out of the schema's description): %v", err)
			case !tc.goOnly && err == nil:
				t.Errorf("the schema accepts it:\n%s", data)
			}
			if _, err := loadBytes(t, data); err == nil {
				t.Errorf("LoadGenesis accepts it:\n%s", data)
			}
		})
	}

	// What the schema cannot see in a decoded document: the file's bytes.
	base := valid
	for name, data := range map[string][]byte{
		"repeated key":      bytes.Replace(base, []byte(`"name": "Lender"`), []byte(`"name": "Lender", "name": "Other"`), 1),
		"data after it":     append(bytes.Clone(base), "{}"...),
		"byte order mark":   append([]byte("\xef\xbb\xbf"), base...),
		"key in other case": bytes.Replace(base, []byte(`"network_id"`), []byte(`"Network_ID"`), 1),
	} {
		if bytes.Equal(data, base) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if _, err := loadBytes(t, data); err == nil {
			t.Errorf("%s: LoadGenesis accepts it", name)
		}
	}
}

// Values at the edges of what both accept.
func TestGenesisSchemaAndLoadGenesisAgreeOnEdges(t *testing.T) {
	sch := genesisSchema(t)
	n := newTestNet(t)
	valid := decodeDoc(t, []byte(n.data))
	for name, edit := range map[string]func(map[string]any){
		"an offset time": func(d map[string]any) { d["genesis_time"] = "2026-11-01T15:30:00.5+08:00" },
		"durations of Go's syntax": func(d map[string]any) {
			p := d["params"].(map[string]any)
			p["block_interval"], p["max_clock_skew"] = "1m0.5s", "0"
		},
		"only the fingerprint": func(d map[string]any) {
			d["params"] = map[string]any{"subject_secret_fingerprint": testFingerprint}
		},
		"a free network without a currency": func(d map[string]any) {
			p := d["params"].(map[string]any)
			p["query_fee_minor"], p["fee_currency"] = json.Number("0"), ""
		},
		"no addrs": func(d map[string]any) { delete(d["members"].([]any)[0].(map[string]any), "addrs") },
		"a name with format characters": func(d map[string]any) {
			d["members"].([]any)[0].(map[string]any)["name"] = "Tax\u200bBureau\u202e\u00a0"
		},
	} {
		d := decodeDoc(t, encodeJSON(t, valid))
		edit(d)
		data := encodeJSON(t, d)
		if err := sch.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: the schema refuses it: %v", name, err)
		}
		if _, err := loadBytes(t, data); err != nil {
			t.Errorf("%s: LoadGenesis refuses it: %v", name, err)
		}
	}
}
