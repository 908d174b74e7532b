package config_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

type testNet struct {
	genesis *config.Genesis
	members []config.Member
	params  config.GenesisParams
	file    string
	data    string
}

// testSecret is the subject secret of newTestNet's genesis.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// newTestNet writes a genesis of three members to a temporary file.
func newTestNet(t *testing.T) *testNet {
	t.Helper()
	var members []config.Member
	roles := [][]config.Role{{config.RolePayments}, {config.RoleCredit, config.RoleQuery}, {config.RoleQuery}}
	names := []string{"Tax Authority", "Bank & Co <Ltd>", "Lender"}
	for i := range 3 {
		key, err := config.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, config.Member{
			ID:    peerid.OfKey(key),
			Name:  names[i],
			Roles: roles[i],
			Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/tcp/7600"), ma.StringCast("/dns4/peer.example/udp/7600/quic-v1")}[:2-i%2],
		})
	}
	params := config.DefaultGenesisParams()
	params.BlockInterval = 250 * time.Millisecond
	params.MaxBlockEntries = 512
	params.QueryFeeMinor = 150
	params.FeeCurrency = "EUR"
	params.SubjectSecretFingerprint = config.SecretFingerprint("credmesh-test", testSecret)
	g := config.NewGenesis("credmesh-test", time.Date(2026, 11, 1, 8, 30, 0, 123456789, time.FixedZone("CET", 3600)), members, params)
	file := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.WriteGenesis(file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return &testNet{genesis: g, members: members, params: params, file: file, data: string(data)}
}

func TestGenesisRoundTrip(t *testing.T) {
	n := newTestNet(t)
	got, err := config.LoadGenesis(n.file)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != n.genesis.Hash() {
		t.Fatalf("hash after load %x, after write %x", got.Hash(), n.genesis.Hash())
	}
	if got.Hash() != sha256.Sum256([]byte(n.data)) {
		t.Fatalf("hash is not SHA-256 of the file")
	}
	if got.NetworkID() != "credmesh-test" || !got.Time().Equal(n.genesis.Time()) || got.Time().Nanosecond() != 123456789 {
		t.Errorf("got network %q time %v", got.NetworkID(), got.Time())
	}
	if !reflect.DeepEqual(got.MemberList(), n.members) {
		t.Errorf("members\ngot  %v\nwant %v", got.MemberList(), n.members)
	}
	if got.Params() != n.params {
		t.Errorf("params\ngot  %+v\nwant %+v", got.Params(), n.params)
	}
	if !strings.HasSuffix(n.data, "}\n") || !strings.Contains(n.data, "\n  \"network_id\": \"credmesh-test\",\n  \"genesis_time\"") {
		t.Errorf("not indented JSON in field order with a trailing newline:\n%s", n.data)
	}
	if !strings.Contains(n.data, `"Bank & Co <Ltd>"`) {
		t.Errorf("names are HTML-escaped:\n%s", n.data)
	}
	again, err := got.Marshal()
	if err != nil || string(again) != n.data {
		t.Errorf("Marshal of a loaded genesis does not return its bytes (%v)", err)
	}
}

func TestGenesisHashIsOfTheBytes(t *testing.T) {
	n := newTestNet(t)
	// The same content, formatted otherwise, is another network.
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(n.data, "  ", "\t")), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := config.LoadGenesis(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.Hash() == n.genesis.Hash() {
		t.Fatal("reformatted genesis has the same hash")
	}
	if !reflect.DeepEqual(g.MemberList(), n.members) {
		t.Fatal("reformatted genesis has other members")
	}
}

func TestGenesisChainParamsAndMembers(t *testing.T) {
	n := newTestNet(t)
	g, err := config.LoadGenesis(n.file)
	if err != nil {
		t.Fatal(err)
	}
	want := chain.DefaultParams("credmesh-test")
	want.BlockInterval = 250 * time.Millisecond
	want.MaxBlockEntries = 512
	want.QueryFeeMinor, want.FeeCurrency = g.Params().QueryFeeMinor, g.Params().FeeCurrency
	if want.QueryFeeMinor == 0 {
		t.Fatal("the test genesis should charge a fee")
	}
	if p := g.ChainParams(); p != want || p.Validate() != nil {
		t.Errorf("ChainParams\ngot  %+v\nwant %+v", p, want)
	}

	members := g.Members()
	peers := g.MemberPeers()
	if len(members) != 3 || len(peers) != 3 {
		t.Fatalf("got %d members, %d peers, want 3", len(members), len(peers))
	}
	for _, m := range n.members {
		iss, err := peerid.Issuer(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if members[iss] != m.ChainRoles() || members[iss] == 0 {
			t.Errorf("member %s has roles %s in Members, %v in the genesis", m.Name, members[iss], m.Roles)
		}
		if back, err := peerid.FromIssuer(iss); err != nil || back != m.ID {
			t.Errorf("peerid.FromIssuer(peerid.Issuer(%s)) = %s, %v", m.ID, back, err)
		}
		if got := peers[m.ID]; got.Name != m.Name || !reflect.DeepEqual(got.AddrInfo(), m.AddrInfo()) {
			t.Errorf("MemberPeers[%s] = %+v", m.ID, got)
		}
	}
	if !peers[n.members[1].ID].HasRole(config.RoleCredit) || peers[n.members[0].ID].HasRole(config.RoleCredit) {
		t.Error("HasRole is wrong")
	}
}

func TestGenesisParamDefaults(t *testing.T) {
	n := newTestNet(t)
	// Leave out everything in params but the fee.
	i := strings.Index(n.data, `"params": {`)
	data := n.data[:i] + `"params": {"query_fee_minor": 1, "fee_currency": "USD", "max_clock_skew": "0s", "subject_secret_fingerprint": "` +
		n.params.SubjectSecretFingerprint + `"}}` + "\n"
	p := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := config.LoadGenesis(p)
	if err != nil {
		t.Fatal(err)
	}
	want := chain.DefaultParams("credmesh-test")
	want.MaxClockSkew = 0 // set explicitly
	want.QueryFeeMinor, want.FeeCurrency = 1, "USD"
	if g.ChainParams() != want {
		t.Errorf("got %+v, want %+v", g.ChainParams(), want)
	}
	if g.Params().QueryFeeMinor != 1 || g.Params().FeeCurrency != "USD" {
		t.Errorf("fee %d %s", g.Params().QueryFeeMinor, g.Params().FeeCurrency)
	}
}

func TestGenesisErrors(t *testing.T) {
	n := newTestNet(t)
	id0, id1 := n.members[0].ID.String(), n.members[1].ID.String()
	_, secpPub, _ := crypto.GenerateSecp256k1Key(rand.Reader)
	secpID, _ := peer.IDFromPublicKey(secpPub)
	lineOf := func(s string) string { // "line:" of the first line holding s
		i := strings.Index(n.data, s)
		if i < 0 {
			t.Fatalf("%q not in the genesis", s)
		}
		return ":" + itoa(strings.Count(n.data[:i], "\n")+1) + ":"
	}
	tests := []struct {
		name      string
		old, new  string
		wantParts []string
		edit      func(string) string // instead of old → new
	}{
		{"syntax", `"Lender"`, `"Lender",`, []string{lineOf(`"Lender"`) + "24: JSON syntax: invalid character ','"}, nil},
		{"truncated", "", "", []string{"JSON syntax: unexpected end of file"}, func(s string) string { return s[:len(s)/2] }},
		{"type", `"query_fee_minor": 150`, `"query_fee_minor": "150"`, []string{lineOf("query_fee_minor") + "24: params.query_fee_minor: string where a non-negative integer is expected"}, nil},
		{"type in list", `"payments"`, `7`, []string{lineOf(`"payments"`) + "9: members[0].roles[0]: number where a string is expected"}, nil},
		{"unknown field", `"name": "Lender"`, `"nmae": "Lender"`, []string{lineOf(`"Lender"`) + "7: members[2].nmae: unknown field"}, nil},
		{"unknown top field", `"network_id"`, `"retention": 5, "network_id"`, []string{":2:3: retention: unknown field"}, nil},
		{"key in other case", `"network_id"`, `"Network_ID"`, []string{":2:3: Network_ID: unknown field"}, nil},
		{"repeated key", `"name": "Lender"`, `"name": "Lender", "name": "Borrower"`, []string{"members[2].name: repeated key"}, nil},
		{"duplicate member", id1, id0, []string{lineOf(id1) + "13: members[1].id: " + id0 + " is already members[0]"}, nil},
		{"bad peer ID", id1, "not-a-peer-id", []string{lineOf(id1) + "13: members[1].id: \"not-a-peer-id\" is not a peer ID"}, nil},
		{"hashed peer ID", id1, "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", []string{"members[1].id: peer ID QmYy", "does not embed its public key"}, nil},
		{"secp256k1 peer ID", id1, secpID.String(), []string{"members[1].id: peer ID " + secpID.String() + " is of a Secp256k1 key; members use Ed25519 keys"}, nil},
		{"no members", "", "", []string{":4:14: members: at least one member is required"}, func(s string) string {
			return s[:strings.Index(s, `"members"`)] + `"members": [],` + "\n  " + s[strings.Index(s, `"params"`):]
		}},
		{"null members", "", "", []string{"members: null is not a value"}, func(s string) string {
			return s[:strings.Index(s, `"members"`)] + `"members": null,` + "\n  " + s[strings.Index(s, `"params"`):]
		}},
		{"bad currency", `"EUR"`, `"eur"`, []string{lineOf(`"EUR"`) + "21: params.fee_currency: \"eur\" is not an ISO 4217 code"}, nil},
		{"long currency", `"EUR"`, `"EURO"`, []string{"params.fee_currency: \"EURO\" is not an ISO 4217 code"}, nil},
		{"unlisted currency", `"EUR"`, `"XYZ"`, []string{"params.fee_currency: \"XYZ\" is not an ISO 4217 code listed in docs/PROTOCOL.md 5.4.1"}, nil},
		{"fee without currency", `"EUR"`, `""`, []string{"params.fee_currency: required when query_fee_minor is not 0"}, nil},
		{"bad network ID", `"credmesh-test"`, `"Credmesh_Test"`, []string{":2:17: network_id: network ID character 1 ('C') is not one of [a-z0-9-]"}, nil},
		{"empty network ID", `"credmesh-test"`, `""`, []string{"network_id: network ID must have 1 to 64 characters"}, nil},
		{"bad time", `"genesis_time": "`, `"genesis_time": "yesterday`, []string{"genesis_time: \"yesterday"}, nil},
		{"no time", `"genesis_time": "2026-11-01T07:30:00.123456789Z",`, ``, []string{"genesis_time: required"}, nil},
		{"bad role", `"payments"`, `"pay"`, []string{"members[0].roles[0]: \"pay\" is not one of payments, credit, query"}, nil},
		{"repeated role", "\"query\"\n      ]", "\"query\", \"query\"\n      ]", []string{"members[1].roles[2]: \"query\" is repeated"}, nil},
		{"no roles", `"payments"`, ``, []string{"members[0].roles: at least one of payments, credit, query is required"}, nil},
		{"no name", `"Lender"`, `""`, []string{"members[2].name: required"}, nil},
		{"addr with p2p", `"/ip4/10.0.0.1/tcp/7600"`, `"/ip4/10.0.0.1/tcp/7600/p2p/` + id0 + `"`, []string{"members[0].addrs[0]:", "must not contain /p2p/"}, nil},
		{"bad addr", `"/ip4/10.0.0.1/tcp/7600"`, `"10.0.0.1:7600"`, []string{"members[0].addrs[0]: \"10.0.0.1:7600\" is not a multiaddr"}, nil},
		{"params bound", `"max_block_entries": 512`, `"max_block_entries": 0`, []string{lineOf("max_block_entries") + "26: params.max_block_entries: 0 is outside 1..65536"}, nil},
		{"params relation", `"max_block_bytes": 65536`, `"max_block_bytes": 1000`, []string{"params.max_block_bytes: 1000 is outside max_entry_bytes..4194304"}, nil},
		{"bad duration", `"250ms"`, `"quarter second"`, []string{"params.block_interval: \"quarter second\" is not a duration"}, nil},
		{"trailing data", "", "", []string{"unexpected data after the genesis object"}, func(s string) string { return s + "{}" }},
		{"no fingerprint", ",\n    \"subject_secret_fingerprint\": \"" + n.params.SubjectSecretFingerprint + "\"", "",
			[]string{lineOf(`"params"`) + "13: params.subject_secret_fingerprint: required: the fingerprint of the members' subject secret"}, nil},
		{"empty fingerprint", n.params.SubjectSecretFingerprint, "", []string{"params.subject_secret_fingerprint: required"}, nil},
		{"upper-case fingerprint", `"subject_secret_fingerprint": "`, `"subject_secret_fingerprint": "AB`, []string{lineOf("subject_secret_fingerprint") + "35: params.subject_secret_fingerprint: \"AB", "is not 64 lower-case hex digits"}, nil},
		{"short fingerprint", n.params.SubjectSecretFingerprint, n.params.SubjectSecretFingerprint[:62], []string{"params.subject_secret_fingerprint: \"" + n.params.SubjectSecretFingerprint[:62] + "\" is not 64 lower-case hex digits"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(n.data, tt.old, tt.new, 1)
			if tt.edit != nil {
				data = tt.edit(n.data)
			}
			if data == n.data {
				t.Fatalf("%q not in the genesis", tt.old)
			}
			p := filepath.Join(t.TempDir(), "genesis.json")
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadGenesis(p)
			if err == nil {
				t.Fatalf("loaded:\n%s", data)
			}
			if !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("%v does not start with the file name", err)
			}
			for _, want := range tt.wantParts {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %v\nwant it to contain %q", err, want)
				}
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestNewGenesisValidate(t *testing.T) {
	key, _ := config.GenerateKey()
	m := config.Member{ID: peerid.OfKey(key), Name: "A", Roles: []config.Role{config.RoleCredit}}
	now := time.Now()

	fp := config.GenesisParams{SubjectSecretFingerprint: config.SecretFingerprint("net", testSecret)}
	g := config.NewGenesis("net", now, []config.Member{m}, fp)
	if err := g.Validate(); err != nil {
		t.Fatalf("zero params take the defaults: %v", err)
	}
	if g.ChainParams() != chain.DefaultParams("net") {
		t.Errorf("got %+v", g.ChainParams())
	}

	for name, bad := range map[string]*config.Genesis{
		"genesis.json: members: at least one member is required":                   config.NewGenesis("net", now, nil, fp),
		"genesis.json: members[1].id: " + m.ID.String() + " is already members[0]": config.NewGenesis("net", now, []config.Member{m, m}, fp),
		"genesis.json: network_id: network ID must have 1 to 64":                   config.NewGenesis("", now, []config.Member{m}, fp),
		"genesis.json: genesis_time: required":                                     config.NewGenesis("net", time.Time{}, []config.Member{m}, fp),
		"genesis.json: params.fee_currency: required":                              config.NewGenesis("net", now, []config.Member{m}, config.GenesisParams{QueryFeeMinor: 1, SubjectSecretFingerprint: fp.SubjectSecretFingerprint}),
		"genesis.json: params.subject_secret_fingerprint: required":                config.NewGenesis("net", now, []config.Member{m}, config.GenesisParams{}),
	} {
		_, err := bad.Marshal()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("got %v, want %q", err, name)
		}
		p := filepath.Join(t.TempDir(), "genesis.json")
		if err := bad.WriteGenesis(p); err == nil {
			t.Errorf("wrote an invalid genesis (%s)", name)
		}
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("invalid genesis left a file (%s)", name)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// The fingerprint is the formula of docs/PROTOCOL.md 6.2, and tells the
// network's secret from any other.
func TestSecretFingerprint(t *testing.T) {
	secret := bytes.Repeat([]byte{0x5a}, 32)
	sum := sha256.Sum256(append([]byte("credmesh/v1/subject-secret\x00example-net\x00"), secret...))
	fp := config.SecretFingerprint("example-net", secret)
	if fp != hex.EncodeToString(sum[:]) {
		t.Fatalf("fingerprint %s, want %x", fp, sum)
	}
	if config.SecretFingerprint("other-net", secret) == fp || config.SecretFingerprint("example-net", secret[1:]) == fp {
		t.Fatal("the fingerprint does not bind the network and every byte of the secret")
	}

	n := newTestNet(t)
	if err := n.genesis.CheckSecret(testSecret); err != nil {
		t.Fatalf("the network's own secret: %v", err)
	}
	other := config.GenerateSecret()
	err := n.genesis.CheckSecret(other)
	if !errors.Is(err, config.ErrWrongSecret) || !strings.HasPrefix(err.Error(), `subject.secret is not the subject secret of network "credmesh-test": `) ||
		!strings.Contains(err.Error(), "params.subject_secret_fingerprint of genesis.json") {
		t.Fatalf("another secret: %v", err)
	}
	if strings.Contains(err.Error(), hex.EncodeToString(other)) || strings.Contains(err.Error(), config.SecretFingerprint("credmesh-test", other)) {
		t.Fatalf("the error shows the secret or its fingerprint: %v", err)
	}
}
