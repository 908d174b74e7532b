package api

// WitnessingStatus is what a peer knows of witnessing (docs/PROTOCOL.md
// 17): its own cosigning, and every other member as a witness.
type WitnessingStatus struct {
	PeriodSeconds float64 `json:"period_seconds"` // the genesis's witness period
	// Made counts the statements this peer cosigned since it started;
	// Refused the candidate heads it refused for not extending what it
	// cosigned before.
	Made     uint64 `json:"made"`
	Refused  uint64 `json:"refused"`
	LastMade string `json:"last_made,omitempty"` // RFC 3339; absent before the first
	// Witnesses are the other members, in key order.
	Witnesses []WitnessStatus `json:"witnesses"`
}

// WitnessStatus is one other member as a witness, as this peer saw it.
type WitnessStatus struct {
	Witness string `json:"witness"` // peer ID
	Name    string `json:"name"`
	// Received counts its statements verified and kept since start;
	// Rejected those provably bad (their senders are scored down);
	// Ignored those not judgeable or not new; OtherView those that
	// cosigned a block at a height we hold with another hash (a split
	// view); Missing our periods at whose end its newest statement was
	// more than two periods old.
	Received  uint64 `json:"received"`
	Rejected  uint64 `json:"rejected"`
	Ignored   uint64 `json:"ignored"`
	OtherView uint64 `json:"other_view"`
	Missing   uint64 `json:"missing"`
	// LastCosigned is the signing time of its newest statement (absent:
	// none); SecondsBehind how long ago that was; BlocksBehind how many
	// blocks of the chains we hold it has not cosigned yet.
	LastCosigned  string  `json:"last_cosigned,omitempty"`
	SecondsBehind float64 `json:"seconds_behind"`
	BlocksBehind  uint64  `json:"blocks_behind"`
	// Forked says we hold evidence that it cosigned two conflicting heads.
	Forked bool `json:"forked"`
}
