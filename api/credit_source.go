package api

import "time"

// CreditSourceStatus is the health of the member's credit source (package
// creditsource): the embedded store, or the institution's PostgreSQL.
// While OK is false, credit queries are answered unavailable, never as if
// the member held nothing on the subject.
type CreditSourceStatus struct {
	Kind     string     `json:"kind"` // store or postgres
	OK       bool       `json:"ok"`
	Error    string     `json:"error,omitempty"` // the last failure while not OK
	Since    *time.Time `json:"since,omitempty"` // when the current state began
	Answers  uint64     `json:"answers"`
	Failures uint64     `json:"failures"`
	// Subjects is how many subjects the PostgreSQL index holds, and
	// IndexedAt when it was last rebuilt.
	Subjects  *int       `json:"subjects,omitempty"`
	IndexedAt *time.Time `json:"indexed_at,omitempty"`
}
