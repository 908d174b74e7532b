package p2p

import (
	"maps"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Peer scoring for a small permissioned network. Every peer on our topics
// is a known institution, so the sybil defences of an open network (IP
// colocation, mesh delivery quotas that punish a quiet issuer) are off; what
// stays is the one that matters here: a member that sends a provably
// invalid block or evidence is penalized hard, and a score below the
// thresholds first stops gossip with it, then graylists it.

const (
	gossipThreshold   = -10
	publishThreshold  = -50
	graylistThreshold = -80
)

// invalidPenalty is the weight of one invalid message, squared by pubsub:
// a single invalid block takes a peer to -100, past every threshold, and
// it decays back over about a minute (0.9 per second).
const invalidPenalty = -100

func topicScore() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight: 1,

		TimeInMeshWeight:  0.01,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     100,

		FirstMessageDeliveriesWeight: 1,
		FirstMessageDeliveriesDecay:  0.5,
		FirstMessageDeliveriesCap:    10,

		InvalidMessageDeliveriesWeight: invalidPenalty,
		InvalidMessageDeliveriesDecay:  0.9,
	}
}

// scoreParams returns the score parameters of topics; app is the
// application-specific score (misbehaviour outside gossip).
func scoreParams(app func(peer.ID) float64, topics ...string) (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	p := &pubsub.PeerScoreParams{
		Topics:                      make(map[string]*pubsub.TopicScoreParams),
		AppSpecificScore:            app,
		AppSpecificWeight:           1,
		IPColocationFactorThreshold: 1,
		BehaviourPenaltyWeight:      -1,
		BehaviourPenaltyDecay:       0.99,
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 10 * time.Minute,
	}
	for _, t := range topics {
		p.Topics[t] = topicScore()
	}
	return p, &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           10,
		OpportunisticGraftThreshold: 2,
	}
}

// misbehaviourPenalty is the application score of a penalized peer: past
// the graylist threshold, like one invalid message.
const misbehaviourPenalty = invalidPenalty

// penalize gives p misbehaviourPenalty until until: it misbehaved outside
// gossip (a status that does not verify).
func (st *state) penalize(p peer.ID, until time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.penalties[p] = until
}

// appScore is pubsub's application-specific score of p at now.
func (st *state) appScore(p peer.ID, now time.Time) float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	until, ok := st.penalties[p]
	if !ok {
		return 0
	}
	if now.After(until) {
		delete(st.penalties, p)
		return 0
	}
	return misbehaviourPenalty
}

// setScores keeps the peer scores pubsub reports.
func (st *state) setScores(m map[peer.ID]float64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.scores = m
}

// scoreInspectInterval is how often PeerScores is refreshed: a quarter of
// the decay interval, so a penalty is seen before its first decay takes a
// fifth of it away (sampled once a second, the peak of a -100 penalty could
// be missed by two decays and read as -67).
const scoreInspectInterval = 250 * time.Millisecond

// PeerScores returns every gossip peer's score as of the last quarter
// second.
func (n *Network) PeerScores() map[peer.ID]float64 {
	n.state.mu.Lock()
	defer n.state.mu.Unlock()
	return maps.Clone(n.state.scores)
}
