package store

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// indexPrefixes are the index keys the index pass reads; pruned entries
// keep those of the first four (their key is never reused), not the next
// two; the last is kept only for pruned entries.
var indexPrefixes = []byte{prefixLookup, prefixKey, prefixQuerier, prefixFix, prefixSubject, prefixExpiry, prefixPruned, prefixDispute}

func keptWhenPruned(prefix byte) bool {
	return prefix != prefixSubject && prefix != prefixExpiry
}

// indexes reads every index key and reports those no stored entry
// produces.
func (c *checker) indexes() {
	var done uint64
	for _, p := range indexPrefixes {
		it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
		if err != nil {
			c.problem(Problem{Kind: ProblemRead, Key: indexName(p), Detail: c.s.readErr(err).Error()})
			continue
		}
		for it.First(); it.Valid(); it.Next() {
			done++
			c.report.IndexKeys++
			c.indexKey(p, it.Key(), it.Value())
			c.progress(CheckProgress{Phase: PhaseIndexes, Done: done})
		}
		if err := it.Error(); err != nil {
			c.problem(Problem{Kind: ProblemRead, Key: indexName(p), Detail: "the rest of this index is unchecked: " + c.s.readErr(err).Error()})
		}
		it.Close()
	}
	c.progress(CheckProgress{Phase: PhaseIndexes, Done: done, Finished: true})
}

func indexName(p byte) string {
	switch p {
	case prefixLookup:
		return "payment index"
	case prefixKey:
		return "entry-key index"
	case prefixPruned:
		return "pruned-entry keys"
	}
	return postingName(p) + " index"
}

// indexKey checks one index key against the entries the chain pass saw.
func (c *checker) indexKey(p byte, k, v []byte) {
	if _, found := slices.BinarySearch(c.expected, maphash.Bytes(checkSeed, k)); found {
		return
	}
	var loc Location
	malformed := func() {
		c.problem(Problem{Kind: ProblemKey, Key: fmt.Sprintf("%s %x", indexName(p), k), Detail: "malformed index key or value"})
	}
	switch p {
	case prefixLookup, prefixKey:
		height, index, ok := decodeIndexValue(v)
		if !ok || p == prefixKey && (len(k) <= 33 || len(v) != 12) {
			malformed()
			return
		}
		if p == prefixLookup {
			iss, ok := c.s.lookupIssuer(k)
			if !ok {
				malformed()
				return
			}
			loc.Issuer = iss
		} else {
			loc.Issuer = chain.IssuerID(k[1:33])
		}
		loc.Height, loc.Index = height, index
	default:
		if len(k) < 1+44 {
			malformed()
			return
		}
		loc = locationFromSuffix(k)
	}
	if c.skipped[loc.Issuer] {
		return // its chain walk ended early: its entries are unknown
	}
	problem := Problem{Kind: ProblemIndex, Chain: loc.Issuer.String(), Height: loc.Height, Index: intp(int(loc.Index)), Key: DescribeKey(k)}
	counts := c.blocks[loc.Issuer]
	switch {
	case loc.Height == 0 || loc.Height > uint64(len(counts)):
		problem.Detail = fmt.Sprintf("points at block %d, which is not stored", loc.Height)
	case counts[loc.Height-1] < 0:
		return // header unusable, reported
	case int64(loc.Index) >= counts[loc.Height-1]:
		problem.Detail = fmt.Sprintf("points past the end of block %d (%d entries)", loc.Height, counts[loc.Height-1])
	default:
		ok, err := c.s.has(entryKey(loc.Issuer, loc.Height, loc.Index))
		switch {
		case err != nil:
			problem.Kind, problem.Detail = ProblemRead, err.Error()
		case !ok && keptWhenPruned(p):
			return // the entry was pruned; its keys stay
		case p == prefixPruned:
			problem.Detail = "records the key of a pruned entry, but the entry is there"
		case !ok:
			problem.Detail = "points at an entry that was pruned"
		default:
			problem.Detail = "the entry there does not produce this index key"
		}
	}
	c.problem(problem)
}

// knownPrefixes are the first bytes of every key in the layout.
var knownPrefixes = map[byte]bool{
	prefixHead: true, prefixHeader: true, prefixEntries: true, prefixTree: true, prefixLookup: true,
	prefixKey: true, prefixSubject: true, prefixQuerier: true, prefixExpiry: true, prefixFix: true,
	prefixMeta: true, prefixForked: true, prefixAck: true, prefixPrivate: true, prefixPruned: true, prefixHistory: true,
	prefixCosigned: true, prefixWitness: true, prefixWitnessForked: true, prefixDispute: true,
}

// keys checks what the other passes do not: the schema version, the
// evidence records, and keys outside the layout.
func (c *checker) keys() {
	v, err := c.s.get([]byte{prefixMeta, 'v'})
	switch {
	case err != nil:
		c.problem(Problem{Kind: ProblemKey, Key: DescribeKey([]byte{prefixMeta, 'v'}), Detail: err.Error()})
	case len(v) != 4 || binary.BigEndian.Uint32(v) != schemaVersion:
		c.problem(Problem{Kind: ProblemKey, Key: DescribeKey([]byte{prefixMeta, 'v'}), Detail: fmt.Sprintf("schema %x, want %d", v, schemaVersion)})
	}
	if _, err := c.s.Evidence(); err != nil {
		c.problem(Problem{Kind: ProblemKey, Key: "evidence records", Detail: err.Error()})
	}
	if _, err := c.s.EvidenceAcks(); err != nil {
		c.problem(Problem{Kind: ProblemKey, Key: "evidence acknowledgements", Detail: err.Error()})
	}
	it, err := c.s.db.NewIter(nil)
	if err != nil {
		return
	}
	defer it.Close()
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) == 0 {
			c.problem(Problem{Kind: ProblemKey, Key: "empty key", Detail: "no key of the layout is empty"})
			ok = it.SeekGE([]byte{0})
			continue
		}
		if !knownPrefixes[k[0]] {
			c.problem(Problem{Kind: ProblemKey, Key: fmt.Sprintf("%x", k), Detail: fmt.Sprintf("no key of the layout starts with %q", k[0])})
		}
		if k[0] == 0xff {
			break
		}
		ok = it.SeekGE([]byte{k[0] + 1})
	}
	if err := it.Error(); err != nil {
		c.problem(Problem{Kind: ProblemRead, Key: "key prefixes", Detail: c.s.readErr(err).Error()})
	}
}
