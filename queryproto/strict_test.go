package queryproto_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
)

// PROTOCOL.md 4: one minimal length prefix of at most five bytes, one
// frame, then the requester's half-close. A server answers anything else
// BAD_REQUEST, and the same request framed right is answered.
func TestServerRefusesLooseFraming(t *testing.T) {
	ms := startNetwork(t, 2)
	h, srv := ms[1].net.Host(), ms[0].id()
	heads := frameOf(&querypb.Request{Op: &querypb.Request_Heads{Heads: &querypb.HeadsRequest{}}})
	if resp, err := rawRequest(t, h, srv, heads); err != nil || resp.Status != querypb.Status_STATUS_OK {
		t.Fatalf("the heads request framed right: %v %v", resp.GetStatus(), err)
	}
	body := heads[1:] // a one-byte prefix
	for name, frame := range map[string][]byte{
		"a byte after the frame": append(slices.Clone(heads), 0x00),
		"two frames":             slices.Concat(heads, heads),
		"prefix in two bytes":    slices.Concat([]byte{heads[0] | 0x80, 0x00}, body),
		"prefix in six bytes":    slices.Concat([]byte{heads[0] | 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, body),
	} {
		resp, err := rawRequest(t, h, srv, frame)
		if err != nil || resp.Status != querypb.Status_STATUS_BAD_REQUEST {
			t.Errorf("%s: %v %v, want BAD_REQUEST", name, resp.GetStatus(), err)
		}
	}
}

// A signed credit query is decoded strictly: an unknown field, even one
// the querier signed, is BAD_REQUEST (PROTOCOL.md 4.1).
func TestServerRefusesUnknownFieldInSignedQuery(t *testing.T) {
	ms := startNetwork(t, 2)
	h, srv := ms[1].net.Host(), ms[0].id()
	q, err := queryproto.SignQuery(queryproto.CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: "Q-strict", Querier: chaintest.Issuer(1),
		Subject: privacy.Ref(chaintest.Ref(1)), Purpose: loanPurpose, ConsentRef: "C-1", Time: time.Now(),
	}, chaintest.Key(1))
	if err != nil {
		t.Fatal(err)
	}
	// The querier signs the query with the unknown field in it.
	raw := protowire.AppendVarint(protowire.AppendTag(slices.Clone(q.Raw), 99, protowire.VarintType), 1)
	sig := ed25519.Sign(chaintest.Key(1), append([]byte(queryproto.QuerySigningDomain), raw...))
	if _, err := queryproto.DecodeSignedQuery(raw, sig); !errors.Is(err, queryproto.ErrMalformed) {
		t.Fatalf("decoding a query with an unknown field: %v, want ErrMalformed", err)
	}
	resp, err := rawRequest(t, h, srv, frameOf(&querypb.Request{Op: &querypb.Request_CreditQuery{CreditQuery: &querypb.SignedCreditQuery{Query: raw, Signature: sig}}}))
	if err != nil || resp.Status != querypb.Status_STATUS_BAD_REQUEST {
		t.Fatalf("a query with an unknown field: %v %v, want BAD_REQUEST", resp.GetStatus(), err)
	}
}

// A client takes a response only if the stream ends right after it.
func TestClientRefusesBytesAfterTheResponse(t *testing.T) {
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(70))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var trailer atomic.Bool
	srv.SetStreamHandler(p2p.QueryProtocol(chaintest.NetworkID), func(s network.Stream) {
		defer s.Close()
		var req querypb.Request
		if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &req); err != nil {
			s.Reset()
			return
		}
		resp := &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Heads{Heads: &querypb.HeadsResponse{}}}
		frame := frameOf(resp)
		if trailer.Load() {
			frame = append(frame, 0x00)
		}
		s.Write(frame)
	})
	cli, err := libp2p.New(libp2p.ListenAddrs(loopback()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	cli.Peerstore().AddAddrs(srv.ID(), srv.Addrs(), peerstore.PermanentAddrTTL)
	c := queryproto.NewClient(cli, chaintest.NetworkID)
	ask := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Heads(ctx, peer.ID(srv.ID()))
		return err
	}
	if err := ask(); err != nil {
		t.Fatalf("a response and the end: %v", err)
	}
	trailer.Store(true)
	if err := ask(); !errors.Is(err, queryproto.ErrMalformed) {
		t.Fatalf("a byte after the response: %v, want ErrMalformed", err)
	}
}
