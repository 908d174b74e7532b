package p2p

import (
	"crypto/sha256"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"google.golang.org/protobuf/proto"
)

// witnessIDBytes is the length of a witness topic message's ID: SHA-256 of
// its data cut to 16 bytes. Witness messages are small (a few hundred
// bytes) and every peer advertises each of them to its lazy peers for
// three heartbeats, so the ID's length is a large part of their cost;
// 128 bits keep a collision out of reach (it would only hide the colliding
// member's own message anyway). The other topics keep 32-byte IDs, so an
// IWANT or IDONTWANT, which names no topic, is told apart by its IDs'
// length.
const witnessIDBytes = 16

// gossipMessageID returns the message ID function: SHA-256 of the whole message data, on both topics. Pubsub
// marks an ID seen before the validator runs and drops every later message
// with that ID unvalidated; were the ID the block hash (the header's), a
// mesh peer forwarding the genuine header with other entries first would
// get the genuine block dropped as a duplicate wherever its copy arrived
// first. Under this rule any copy that differs in one byte has another ID,
// so the genuine bytes are validated on their own when they arrive. The same
// block forwarded by many members is still one message: forwarders pass on
// the bytes they received.
//
// On the witness topic the ID is cut to witnessIDBytes.
func gossipMessageID(witnessTopic string) func(*pb.Message) string {
	return func(m *pb.Message) string {
		h := sha256.Sum256(m.Data)
		if m.GetTopic() == witnessTopic {
			return string(h[:witnessIDBytes])
		}
		return string(h[:])
	}
}

// TopicTraffic is the gossip bytes of one class of topics, in and out:
// the messages (their protobuf size, duplicates included) and the IHAVE,
// IWANT and IDONTWANT entries that name them.
type TopicTraffic struct {
	MessagesIn, MessagesOut uint64 // message bytes
	ControlIn, ControlOut   uint64 // control bytes
}

// Total is every byte counted, both ways.
func (t TopicTraffic) Total() uint64 {
	return t.MessagesIn + t.MessagesOut + t.ControlIn + t.ControlOut
}

// In is every byte received.
func (t TopicTraffic) In() uint64 { return t.MessagesIn + t.ControlIn }

type topicCounters struct {
	msgIn, msgOut, ctlIn, ctlOut atomic.Uint64
}

func (c *topicCounters) snapshot() TopicTraffic {
	return TopicTraffic{MessagesIn: c.msgIn.Load(), MessagesOut: c.msgOut.Load(), ControlIn: c.ctlIn.Load(), ControlOut: c.ctlOut.Load()}
}

// gossipTraffic counts gossip bytes per class of topic: blocks (the
// blocks topic and the shard topics), witness, and the rest.
type gossipTraffic struct {
	witnessTopic, evidenceTopic string
	blocks, witness, rest       topicCounters
}

func (g *gossipTraffic) class(topic string) *topicCounters {
	if topic == g.witnessTopic {
		return &g.witness
	}
	if topic == "" || topic == g.evidenceTopic {
		return &g.rest
	}
	return &g.blocks
}

// idClass attributes a control entry that names no topic by its ID length.
func (g *gossipTraffic) idClass(id string) *topicCounters {
	if len(id) == witnessIDBytes {
		return &g.witness
	}
	return &g.blocks
}

// count adds one RPC's bytes, received (in) or sent.
func (g *gossipTraffic) count(rpc *pubsub.RPC, in bool) {
	if g == nil || rpc == nil {
		return
	}
	add := func(c *topicCounters, msg bool, n int) {
		switch {
		case msg && in:
			c.msgIn.Add(uint64(n))
		case msg:
			c.msgOut.Add(uint64(n))
		case in:
			c.ctlIn.Add(uint64(n))
		default:
			c.ctlOut.Add(uint64(n))
		}
	}
	for _, m := range rpc.Publish {
		if m != nil {
			add(g.class(m.GetTopic()), true, proto.Size(m))
		}
	}
	ctl := rpc.GetControl()
	if ctl == nil {
		return
	}
	for _, ih := range ctl.GetIhave() {
		add(g.class(ih.GetTopicID()), false, proto.Size(ih))
	}
	for _, iw := range ctl.GetIwant() {
		for _, id := range iw.GetMessageIDs() {
			add(g.idClass(id), false, len(id)+2)
		}
	}
	for _, idw := range ctl.GetIdontwant() {
		for _, id := range idw.GetMessageIDs() {
			add(g.idClass(id), false, len(id)+2)
		}
	}
}
