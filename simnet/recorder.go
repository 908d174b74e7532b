package simnet

import (
	"sort"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// Recorder collects what a run measures: when every peer stored every
// block, peers' up and down times, query latencies and the run's events.
// Peers report to it from their validators, so it only appends under a
// lock.
type Recorder struct {
	start   time.Time
	issuers map[chain.IssuerID]int

	mu      sync.Mutex
	blocks  map[blockID]*blockRec
	cosigns []cosignRec // statements peers made (witnessed.go)
	ups     map[int][]interval
	ops     map[string][]OpSample
	events  []Event
	phaseAt []phaseMark
}

type blockID struct {
	issuer chain.IssuerID
	height uint64
}

// blockRec is one block as its receivers saw it.
type blockRec struct {
	issuer  int
	height  uint64
	sealed  time.Time // the header's time, when the issuer sealed it
	entries int
	bytes   int
	phase   string
	got     map[int]time.Duration // receiver -> stored minus sealed
	viaSync int
}

type interval struct{ from, to time.Time } // to is zero while up

type phaseMark struct {
	at   time.Time
	name string
}

// OpSample is one query operation's outcome.
type OpSample struct {
	At      time.Duration // since the run's start
	Latency time.Duration
	OK      bool
	Detail  string `json:",omitempty"`
	Phase   string
}

// Event is something the scenario did to the network.
type Event struct {
	At    time.Duration `json:"at_ns"`
	Kind  string        `json:"kind"`
	Peers []int         `json:"peers,omitempty"`
	Note  string        `json:"note,omitempty"`
}

func newRecorder(start time.Time, issuers map[chain.IssuerID]int) *Recorder {
	return &Recorder{
		start: start, issuers: issuers,
		blocks: make(map[blockID]*blockRec), ups: make(map[int][]interval), ops: make(map[string][]OpSample),
	}
}

// Start returns when the run began.
func (r *Recorder) Start() time.Time { return r.start }

// stored is every peer's node.Options.OnBlockStored.
func (r *Recorder) stored(peer int, b *chain.Block, viaSync bool) {
	now := time.Now()
	size := 0
	for _, e := range b.Entries {
		size += len(e)
	}
	id := blockID{b.Issuer, b.Height}
	r.mu.Lock()
	defer r.mu.Unlock()
	br := r.blocks[id]
	if br == nil {
		br = &blockRec{
			issuer: r.issuers[b.Issuer], height: b.Height, sealed: b.Time, entries: len(b.Entries), bytes: size,
			phase: r.phaseAtLocked(b.Time), got: make(map[int]time.Duration),
		}
		r.blocks[id] = br
	}
	if _, dup := br.got[peer]; !dup {
		br.got[peer] = now.Sub(b.Time)
		if viaSync {
			br.viaSync++
		}
	}
}

func (r *Recorder) peerUp(i int, at time.Time) {
	r.mu.Lock()
	r.ups[i] = append(r.ups[i], interval{from: at})
	r.mu.Unlock()
}

func (r *Recorder) peerDown(i int, at time.Time) {
	r.mu.Lock()
	if iv := r.ups[i]; len(iv) > 0 && iv[len(iv)-1].to.IsZero() {
		iv[len(iv)-1].to = at
	}
	r.mu.Unlock()
}

// SetPhase names what the network goes through from now on (steady,
// partitioned, ...); every block is counted in the phase it was sealed in.
func (r *Recorder) SetPhase(name string) {
	r.mu.Lock()
	r.phaseAt = append(r.phaseAt, phaseMark{at: time.Now(), name: name})
	r.mu.Unlock()
}

func (r *Recorder) phaseAtLocked(t time.Time) string {
	name := "steady"
	for _, m := range r.phaseAt {
		if m.at.After(t) {
			break
		}
		name = m.name
	}
	return name
}

// Op records one query operation of kind ("lookup", "report").
func (r *Recorder) Op(kind string, s OpSample) {
	r.mu.Lock()
	s.Phase = r.phaseAtLocked(time.Now())
	r.ops[kind] = append(r.ops[kind], s)
	r.mu.Unlock()
}

// Event records something done to the network, now.
func (r *Recorder) Event(kind string, peers []int, note string) {
	r.mu.Lock()
	r.events = append(r.events, Event{At: time.Since(r.start), Kind: kind, Peers: peers, Note: note})
	r.mu.Unlock()
}

// Since returns the time since the run's start.
func (r *Recorder) Since() time.Duration { return time.Since(r.start) }

// snapshot copies the blocks in seal order, for the report.
func (r *Recorder) snapshot() (blocks []blockRec, ups map[int][]interval, ops map[string][]OpSample, events []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.blocks {
		c := *b
		c.got = make(map[int]time.Duration, len(b.got))
		for k, v := range b.got {
			c.got[k] = v
		}
		blocks = append(blocks, c)
	}
	sort.Slice(blocks, func(i, j int) bool {
		if !blocks[i].sealed.Equal(blocks[j].sealed) {
			return blocks[i].sealed.Before(blocks[j].sealed)
		}
		if blocks[i].issuer != blocks[j].issuer {
			return blocks[i].issuer < blocks[j].issuer
		}
		return blocks[i].height < blocks[j].height
	})
	ups = make(map[int][]interval, len(r.ups))
	for k, v := range r.ups {
		ups[k] = append([]interval(nil), v...)
	}
	ops = make(map[string][]OpSample, len(r.ops))
	for k, v := range r.ops {
		ops[k] = append([]OpSample(nil), v...)
	}
	return blocks, ups, ops, append([]Event(nil), r.events...)
}

// restart makes now the run's start (the load begins after setup).
func (r *Recorder) restart(now time.Time) {
	r.mu.Lock()
	r.start = now
	r.mu.Unlock()
}
