package p2p

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// startGossip joins the blocks and evidence topics. Blocks are signed by
// their issuers, so pubsub's own signatures are off (StrictNoSign, no
// author), and a message's ID is SHA-256 of its whole data (gossipMessageID).
// Flood publishing is off: the publisher sends to its mesh (D peers) only,
// which keeps a 64 KiB block from taking the issuer's whole uplink in a
// large network.
func (n *Network) startGossip() error {
	net := n.cfg.Params.NetworkID
	bt, et, wt := BlocksTopic(net), EvidenceTopic(net), WitnessTopic(net)
	n.traffic.witnessTopic, n.traffic.evidenceTopic = wt, et
	topics := append([]string{bt, et, wt}, n.shardTopics()...) // shard.go
	sp, th := scoreParams(func(p peer.ID) float64 { return n.state.appScore(p, n.cfg.Now()) }, topics...)
	ps, err := pubsub.NewGossipSub(n.ctx, n.host,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(gossipMessageID(wt)), // gossip_traffic.go
		pubsub.WithPeerFilter(func(p peer.ID, _ string) bool { return n.IsMember(p) }),
		pubsub.WithAppSpecificRpcInspector(n.inspectRPC),
		pubsub.WithSubscriptionFilter(pubsub.NewAllowlistSubscriptionFilter(topics...)),
		pubsub.WithPeerScore(sp, th),
		pubsub.WithGossipSubParams(gossipParams()),
		pubsub.WithFloodPublish(false),
		pubsub.WithPeerExchange(false),
		pubsub.WithValidateQueueSize(n.cfg.ValidateQueue),
		pubsub.WithPeerOutboundQueueSize(n.cfg.OutboundQueue),
		pubsub.WithMaxMessageSize(n.cfg.Params.MaxWireBlockBytes()+4096),
		pubsub.WithRawTracer(dropTracer{&n.stats, &n.traffic}),
		pubsub.WithPeerScoreInspect(n.state.setScores, scoreInspectInterval),
	)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.ps = ps
	if err := ps.RegisterTopicValidator(bt, n.gatedValidator(n.validateBlockMsg)); err != nil {
		return err
	}
	if err := ps.RegisterTopicValidator(et, n.gatedValidator(n.validateEvidenceMsg)); err != nil {
		return err
	}
	if n.blocks, err = ps.Join(bt); err != nil {
		return err
	}
	if n.evidence, err = ps.Join(et); err != nil {
		return err
	}
	for _, t := range []*pubsub.Topic{n.blocks, n.evidence} {
		sub, err := t.Subscribe()
		if err != nil {
			return err
		}
		n.goLoop(func(ctx context.Context) { drain(ctx, sub) })
	}
	return n.joinWitness() // witness_gossip.go
}

// gossipParams are gossipsub's defaults with our mesh degrees (config.go).
func gossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dlazy = meshD, meshDlo, meshDhi, meshDlazy
	return p
}

// errNotMember drops a gossip RPC from a peer outside the genesis.
var errNotMember = errors.New("p2p: gossip is for members")

// inspectRPC drops every gossip RPC a non-member sends before pubsub looks
// at it: the peer filter only governs whom we send to.
func (n *Network) inspectRPC(from peer.ID, _ *pubsub.RPC) error {
	if !n.IsMember(from) {
		return errNotMember
	}
	return nil
}

// drain reads a subscription: delivery itself does nothing, since the
// validators store what they accept, but reading keeps us in the mesh and
// keeps pubsub's delivery queue from overflowing.
func drain(ctx context.Context, sub *pubsub.Subscription) {
	defer sub.Cancel()
	for {
		if _, err := sub.Next(ctx); err != nil {
			return
		}
	}
}

// Publish gossips one of our own blocks. The caller has persisted it.
func (n *Network) Publish(ctx context.Context, b *chain.Block) error {
	if n.blocks == nil {
		return errors.New("p2p: a light client does not publish")
	}
	if n.shard != nil {
		return n.publishSharded(ctx, b)
	}
	return n.blocks.Publish(ctx, b.Marshal())
}

// validateBlockMsg is the blocks topic's validator. It maps the chain's
// verdict to pubsub's: Accept a valid next block (and store it), Reject what
// is provably bad, Ignore what cannot be judged yet — and a gap ahead of our
// head becomes a sync from the peer that sent it.
func (n *Network) validateBlockMsg(ctx context.Context, from peer.ID, msg *pubsub.Message) (res pubsub.ValidationResult) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("block validator panicked", "from", from, "panic", r)
			res = pubsub.ValidationReject
		}
		switch res {
		case pubsub.ValidationReject:
			n.stats.blocksRejected.Add(1)
		case pubsub.ValidationIgnore:
			n.stats.blocksIgnored.Add(1)
		}
	}()
	if from == n.host.ID() {
		return pubsub.ValidationAccept // our own block, persisted before publishing
	}
	if !n.IsMember(msg.ReceivedFrom) {
		return pubsub.ValidationReject // inspectRPC drops these first
	}
	n.stats.blocksReceived.Add(1)
	b, err := chain.DecodeBlock(msg.Data, n.cfg.Params)
	if err != nil {
		n.log.Debug("undecodable block", "from", from, "err", err)
		return pubsub.ValidationReject
	}
	res, vb := n.judge(b, from)
	if res == pubsub.ValidationAccept {
		msg.ValidatorData = vb
	}
	return res
}

// judge validates and stores a block received from peer from.
func (n *Network) judge(b *chain.Block, from peer.ID) (pubsub.ValidationResult, *chain.VerifiedBlock) {
	if b.Issuer == n.self {
		return n.judgeOwn(b, from), nil // only our builder writes our chain
	}
	if n.state.forked(b.Issuer) || !n.holds(b.Issuer) {
		return pubsub.ValidationIgnore, nil
	}
	st := n.cfg.Store
	vb, err := n.validateBlock(b, st.Head(b.Issuer), n.cfg.Now())
	if err == nil {
		err = st.Append(vb)
	}
	switch {
	case err == nil:
		n.stats.blocksStored.Add(1)
		n.sync.stored(b.Issuer, b.Height)
		n.orphans.grew(b.Issuer)
		if n.cfg.OnStored != nil {
			n.cfg.OnStored(b, false)
		}
		return pubsub.ValidationAccept, vb
	case errors.Is(err, chain.ErrKnownHeight):
		n.checkEquivocation(b.SignedHeader)
		return pubsub.ValidationIgnore, nil
	case errors.Is(err, chain.ErrWrongPrevHash):
		// The other side of a fork, or its forwarder: not the sender's
		// fault. Its header below is fetched to prove the fork.
		n.probeFork(b.SignedHeader, from)
		return pubsub.ValidationIgnore, nil
	case errors.Is(err, chain.ErrHeightAhead), errors.Is(err, chain.ErrUnknownParent):
		return n.awaitParent(b, from) // orphans.go
	case chain.IsProvable(err):
		n.log.Warn("rejected block", "from", from, "issuer", b.Issuer.Short(), "height", b.Height, "err", err)
		return pubsub.ValidationReject, nil
	default:
		n.log.Debug("ignored block", "from", from, "issuer", b.Issuer.Short(), "height", b.Height, "err", err)
		return pubsub.ValidationIgnore, nil
	}
}

// dropTracer counts what pubsub drops for lack of queue room.
type dropTracer struct {
	c *counters
	t *gossipTraffic // gossip_traffic.go
}

func (t dropTracer) RejectMessage(_ *pubsub.Message, reason string) {
	if reason == pubsub.RejectValidationQueueFull || reason == pubsub.RejectValidationThrottled {
		t.c.gossipDrops.Add(1)
	}
}
func (t dropTracer) DropRPC(*pubsub.RPC, peer.ID)                       { t.c.gossipDrops.Add(1) }
func (t dropTracer) UndeliverableMessage(*pubsub.Message)               { t.c.gossipDrops.Add(1) }
func (dropTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (dropTracer) OnClosedOutboundStream(peer.ID)                       {}
func (dropTracer) Join(string)                                          {}
func (dropTracer) Leave(string)                                         {}
func (dropTracer) Graft(peer.ID, string)                                {}
func (dropTracer) Prune(peer.ID, string)                                {}
func (dropTracer) ValidateMessage(*pubsub.Message)                      {}
func (dropTracer) DeliverMessage(*pubsub.Message)                       {}
func (dropTracer) DuplicateMessage(*pubsub.Message)                     {}
func (dropTracer) ThrottlePeer(peer.ID)                                 {}
func (t dropTracer) RecvRPC(rpc *pubsub.RPC)                            { t.t.count(rpc, true) }
func (t dropTracer) SendRPC(rpc *pubsub.RPC, _ peer.ID)                 { t.t.count(rpc, false) }
func (dropTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
