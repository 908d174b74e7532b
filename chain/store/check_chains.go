package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
)

// checkSeed hashes the expected index keys of one Check.
var checkSeed = maphash.MakeSeed()

// maxCheckedEntry bounds the entries Check decodes: larger than any
// network's limit, as the parameters are not known offline.
const maxCheckedEntry = 16 << 20

func intp(i int) *int { return &i }

// keyKind names the per-block prefixes.
var keyKind = map[byte]string{prefixHeader: "header", prefixEntries: "entry", prefixTree: "tree"}

// chains walks every chain: those with a 'c' key and any that has headers
// or entries without one.
func (c *checker) chains() {
	c.blocks = make(map[chain.IssuerID][]int64)
	c.skipped = make(map[chain.IssuerID]bool)
	heads := make(map[chain.IssuerID]uint64)
	headless := make(map[chain.IssuerID]bool)
	var issuers []chain.IssuerID
	err := c.scan([]byte{prefixHead}, func(k, v []byte) {
		if len(k) != 33 || len(v) != 8 {
			c.problem(Problem{Kind: ProblemHead, Key: DescribeKey(k), Detail: fmt.Sprintf("malformed head key (%d bytes) or value (%d bytes)", len(k), len(v))})
			return
		}
		iss := chain.IssuerID(k[1:])
		heads[iss] = binary.BigEndian.Uint64(v)
		issuers = append(issuers, iss)
	})
	if err != nil {
		c.problem(Problem{Kind: ProblemRead, Key: "head keys", Detail: err.Error()})
	}
	for _, p := range []byte{prefixHeader, prefixEntries, prefixTree} {
		for _, iss := range c.issuersUnder(p) {
			if _, ok := heads[iss]; !ok {
				heads[iss], headless[iss] = 0, true
				issuers = append(issuers, iss)
				c.problem(Problem{Kind: ProblemHead, Chain: iss.String(), Detail: fmt.Sprintf("chain has %s keys but no head key", keyKind[p])})
			}
		}
	}
	slices.SortFunc(issuers, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	for _, iss := range issuers {
		c.s.mu.byPrefix[prefixOf(iss)] = iss // for the short payment index keys
	}
	for _, iss := range issuers {
		cc := c.chain(iss, heads[iss], headless[iss])
		c.report.Chains = append(c.report.Chains, cc)
		c.report.Blocks += cc.Blocks
		c.report.Pruned += cc.Pruned
	}
	slices.Sort(c.expected)
}

// issuersUnder returns the issuers that have keys under prefix p, by
// skipping from one issuer's keys to the next.
func (c *checker) issuersUnder(p byte) []chain.IssuerID {
	it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
	if err != nil {
		c.problem(Problem{Kind: ProblemRead, Key: keyKind[p] + " keys", Detail: c.s.readErr(err).Error()})
		return nil
	}
	defer func() {
		if err := it.Error(); err != nil {
			c.problem(Problem{Kind: ProblemRead, Key: keyKind[p] + " keys", Detail: "listing the chains: " + c.s.readErr(err).Error()})
		}
		it.Close()
	}()
	var out []chain.IssuerID
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) < 33 {
			ok = it.Next()
			continue
		}
		iss := chain.IssuerID(k[1:33])
		out = append(out, iss)
		ok = it.SeekGE(prefixEnd(k[:33]))
	}
	return out
}

// scan calls fn with every key and value under prefix.
func (c *checker) scan(prefix []byte, fn func(k, v []byte)) error {
	it, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return c.s.readErr(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		fn(it.Key(), it.Value())
	}
	return c.s.readErr(it.Error())
}

// chainWalk is the state of the walk of one chain.
type chainWalk struct {
	*checker
	iss    chain.IssuerID
	cc     ChainCheck
	counts []int64
	probe  *pebble.Iterator // finds index keys
}

// chain walks issuer's chain, whose 'c' key names head (headless: it has
// none, which is reported already).
func (c *checker) chain(iss chain.IssuerID, head uint64, headless bool) ChainCheck {
	w := &chainWalk{checker: c, iss: iss, cc: ChainCheck{Issuer: iss.String(), Head: head}}
	defer func() { c.blocks[iss] = w.counts }()
	var err error
	if w.probe, err = c.s.db.NewIter(nil); err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Detail: err.Error()})
		c.skipped[iss] = true
		return w.cc
	}
	defer w.probe.Close()
	hp := blockKey(prefixHeader, iss, 0)[:33]
	ep := blockKey(prefixEntries, iss, 0)[:33]
	hIt, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: hp, UpperBound: prefixEnd(hp)})
	if err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Detail: err.Error()})
		c.skipped[iss] = true
		return w.cc
	}
	defer hIt.Close()
	eIt, err := c.s.db.NewIter(&pebble.IterOptions{LowerBound: ep, UpperBound: prefixEnd(ep)})
	if err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Detail: err.Error()})
		c.skipped[iss] = true
		return w.cc
	}
	defer eIt.Close()

	var prev *chain.SignedHeader
	last := uint64(0)
	eOK := eIt.First()
	for ok := hIt.First(); ok; ok = hIt.Next() {
		k := hIt.Key()
		if len(k) != 41 {
			c.problem(Problem{Kind: ProblemKey, Chain: iss.String(), Key: fmt.Sprintf("%x", k), Detail: "malformed header key"})
			continue
		}
		height := binary.BigEndian.Uint64(k[33:])
		if height != last+1 {
			c.problem(Problem{Kind: ProblemLink, Chain: iss.String(), Height: height,
				Detail: fmt.Sprintf("blocks %d to %d are missing", last+1, height-1)})
			prev = nil
		}
		for int(height) > len(w.counts)+1 {
			w.counts = append(w.counts, -1)
		}
		last = height
		sh := w.header(height, hIt.Value(), prev)
		// The entries stored under this height (and any stray ones below).
		var entries map[uint32][]byte
		eOK, entries = w.collect(eIt, eOK, height)
		w.cc.Blocks++
		w.progress(CheckProgress{Phase: PhaseChain, Chain: iss, Done: w.cc.Blocks, Total: head})
		if err := eIt.Error(); err != nil {
			// This block's entries are unreadable: name it, leave its index
			// keys unjudged, and go on with the next block's.
			c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Height: height,
				Detail: fmt.Sprintf("reading the entries of block %d: %v", height, c.s.readErr(err))})
			w.counts = append(w.counts, -1)
			prev = sh
			eOK = eIt.SeekGE(blockKey(prefixEntries, iss, height+1))
			continue
		}
		if sh == nil {
			w.counts = append(w.counts, -1)
			prev = nil
			continue
		}
		w.counts = append(w.counts, int64(sh.EntryCount))
		w.block(sh, entries)
		prev = sh
	}
	if err := hIt.Error(); err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Height: last + 1,
			Detail: fmt.Sprintf("reading the header of block %d: %v; the rest of this chain is unchecked", last+1, c.s.readErr(err))})
		c.skipped[iss] = true
	}
	// Entries above the last header.
	for ; eOK; eOK = eIt.Next() {
		w.stray(eIt.Key())
	}
	if err := eIt.Error(); err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Height: last + 1,
			Detail: fmt.Sprintf("reading the entries above block %d: %v", last, c.s.readErr(err))})
	}
	if err := w.probe.Error(); err != nil {
		c.problem(Problem{Kind: ProblemRead, Chain: iss.String(), Detail: "reading index keys: " + c.s.readErr(err).Error()})
		c.skipped[iss] = true
	}
	if prev != nil && prev.History != nil && prev.Height == head {
		// The nodes history proofs are read from must be the chain's.
		stored, err := c.s.loadHistory(iss, head)
		if err != nil || stored.Root() != prev.History.Root() {
			detail := "stored history nodes do not match the chain's blocks"
			if err != nil {
				detail = "history: " + err.Error()
			}
			c.problem(Problem{Kind: ProblemLink, Chain: iss.String(), Height: head, Detail: detail})
		}
	}
	if head != last && !headless && !c.skipped[iss] {
		c.problem(Problem{Kind: ProblemHead, Chain: iss.String(), Height: head, Key: DescribeKey(headKey(iss)),
			Detail: fmt.Sprintf("head key names height %d, the headers end at %d", head, last)})
	}
	w.progress(CheckProgress{Phase: PhaseChain, Chain: iss, Done: w.cc.Blocks, Total: head, Finished: true})
	return w.cc
}

// header decodes and checks the header stored at height; nil if it is
// unusable.
func (w *chainWalk) header(height uint64, v []byte, prev *chain.SignedHeader) *chain.SignedHeader {
	p := Problem{Kind: ProblemHeader, Chain: w.iss.String(), Height: height, Key: DescribeKey(blockKey(prefixHeader, w.iss, height))}
	sh, err := chain.UnmarshalSignedHeader(v)
	if err != nil {
		p.Detail = "does not decode: " + err.Error()
		w.problem(p)
		return nil
	}
	switch {
	case sh.Issuer != w.iss:
		p.Detail = "header of chain " + sh.Issuer.Short()
	case sh.Height != height:
		p.Detail = fmt.Sprintf("header of block %d", sh.Height)
	default:
		if err := sh.VerifySignature(); err != nil {
			p.Detail = "signature: " + err.Error()
		}
	}
	if p.Detail != "" {
		w.problem(p)
		return nil
	}
	if prev != nil && prev.History == nil {
		// After a gap or an unreadable block: take the history from its
		// stored nodes, which this checks too.
		hist, err := w.s.loadHistory(w.iss, prev.Height)
		if err != nil {
			w.problem(Problem{Kind: ProblemLink, Chain: w.iss.String(), Height: prev.Height, Detail: "history: " + err.Error()})
			return sh
		}
		cp := *prev
		cp.History = hist
		prev = &cp
	}
	if prev != nil {
		if err := chain.CheckLink(sh, prev); err != nil {
			w.problem(Problem{Kind: ProblemLink, Chain: w.iss.String(), Height: height, Key: p.Key,
				Detail: fmt.Sprintf("does not follow block %d: %v", prev.Height, err)})
		}
	}
	if prev == nil && height > 1 {
		return sh
	}
	return chain.WithHistory(sh, prev)
}

// collect advances eIt (valid: ok) past the entries of blocks up to height
// and returns those of height; entries of lower heights are stray.
func (w *chainWalk) collect(eIt *pebble.Iterator, ok bool, height uint64) (bool, map[uint32][]byte) {
	entries := make(map[uint32][]byte)
	for ; ok; ok = eIt.Next() {
		k := eIt.Key()
		if len(k) != 45 {
			w.problem(Problem{Kind: ProblemKey, Chain: w.iss.String(), Key: fmt.Sprintf("%x", k), Detail: "malformed entry key"})
			continue
		}
		h := binary.BigEndian.Uint64(k[33:41])
		if h > height {
			break
		}
		if h < height {
			w.stray(k)
			continue
		}
		entries[binary.BigEndian.Uint32(k[41:])] = append([]byte(nil), eIt.Value()...)
	}
	return ok, entries
}

// stray reports an entry key of a block whose header is not stored.
func (w *chainWalk) stray(k []byte) {
	if len(k) != 45 {
		w.problem(Problem{Kind: ProblemKey, Chain: w.iss.String(), Key: fmt.Sprintf("%x", k), Detail: "malformed entry key"})
		return
	}
	loc := locationFromSuffix(k)
	w.problem(Problem{Kind: ProblemEntry, Chain: w.iss.String(), Height: loc.Height, Index: intp(int(loc.Index)), Key: DescribeKey(k),
		Detail: "entry of a block whose header is not stored"})
}

// block checks the tree, the entries and their index keys of one block.
func (w *chainWalk) block(sh *chain.SignedHeader, entries map[uint32][]byte) {
	n := int(sh.EntryCount)
	problem := func(kind string, index int, key []byte, format string, args ...any) {
		p := Problem{Kind: kind, Chain: w.iss.String(), Height: sh.Height, Detail: fmt.Sprintf(format, args...)}
		if index >= 0 {
			p.Index = intp(index)
		}
		if key != nil {
			p.Key = DescribeKey(key)
		}
		w.problem(p)
	}
	for i := range entries {
		if int(i) >= n {
			problem(ProblemEntry, int(i), entryKey(w.iss, sh.Height, i), "the block has %d entries", n)
		}
	}
	tk := blockKey(prefixTree, w.iss, sh.Height)
	flat, err := w.s.get(tk)
	var leaves []merkle.Hash
	switch {
	case err != nil:
		problem(ProblemMerkle, -1, tk, "%v", err)
	case isUpperTree(flat, n):
		// No leaves kept (tree.go): they are the entries' hashes, all of
		// which must be there.
		leaves = make([]merkle.Hash, n)
		for i := range leaves {
			e, ok := entries[uint32(i)]
			if !ok {
				problem(ProblemMerkle, i, entryKey(w.iss, sh.Height, uint32(i)), "the entry is missing from a block whose tree keeps no leaves")
				leaves = nil
				break
			}
			leaves[i] = merkle.LeafHash(e)
		}
		if leaves == nil {
			break
		}
		tree := merkle.NewTree(leaves)
		if tree.Root() != sh.EntriesRoot {
			problem(ProblemMerkle, -1, tk, "the entries hash to root %.16s, the header says %.16s", tree.Root(), sh.EntriesRoot)
		}
		for j, node := range tree.Upper(treeSkip) {
			if !bytes.Equal(node[:], flat[j*merkle.Size:(j+1)*merkle.Size]) {
				problem(ProblemMerkle, -1, tk, "stored node %d differs from the one the entries give", j)
				break
			}
		}
	case len(flat) != merkle.Size*merkle.NodeCount(n):
		problem(ProblemMerkle, -1, tk, "%d bytes cannot be the tree of %d entries", len(flat), n)
	default:
		leaves = make([]merkle.Hash, n)
		for i := range leaves {
			copy(leaves[i][:], flat[i*merkle.Size:])
		}
		tree := merkle.NewTree(leaves)
		if tree.Root() != sh.EntriesRoot {
			problem(ProblemMerkle, -1, tk, "the stored leaves hash to root %.16s, the header says %.16s", tree.Root(), sh.EntriesRoot)
		}
		for j, node := range tree.Nodes() {
			if !bytes.Equal(node[:], flat[j*merkle.Size:(j+1)*merkle.Size]) {
				problem(ProblemMerkle, -1, tk, "stored node %d differs from the one its leaves give", j)
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		e, ok := entries[uint32(i)]
		if !ok {
			w.cc.Pruned++
			continue
		}
		w.cc.Entries++
		w.report.Entries++
		ek := entryKey(w.iss, sh.Height, uint32(i))
		if leaves != nil && merkle.LeafHash(e) != leaves[i] {
			problem(ProblemMerkle, i, ek, "the entry does not hash to its stored leaf")
		}
		w.indexKeys(sh.Height, uint32(i), e, problem)
	}
}

// indexKeys checks that the index keys Append writes for the entry at
// (height, index) are there, and records them for the index pass.
func (w *chainWalk) indexKeys(height uint64, index uint32, data []byte, problem func(string, int, []byte, string, ...any)) {
	e, err := chain.DecodeEntry(data, maxCheckedEntry)
	if err != nil {
		problem(ProblemEntry, int(index), entryKey(w.iss, height, index), "does not decode: %v", err)
		return
	}
	loc := Location{Issuer: w.iss, Height: height, Index: index}
	want := [][2][]byte{{w.s.keyIndexKey(w.iss, chain.EntryKey(e)), encodeLocation(height, index)}}
	if subj := chain.SubjectOf(e); subj != nil {
		want = append(want, [2][]byte{postingKey(prefixSubject, subj, loc)})
	}
	if id := chain.QueryIDKey(e); id != nil {
		want = append(want, [2][]byte{w.s.keyIndexKey(w.iss, id), encodeLocation(height, index)})
	}
	if r := e.GetQueryReceipt(); r != nil {
		if q, err := chain.ReceiptQuery(r); err == nil {
			want = append(want, [2][]byte{postingKey(prefixQuerier, q.Querier, loc)})
		}
	}
	if cr := e.GetCorrection(); cr != nil {
		fix := append(append([]byte(nil), w.iss[:]...), cr.TargetKey...)
		want = append(want, [2][]byte{postingKey(prefixFix, fix, loc)})
	}
	if exp, ok := chain.ExpiresAt(e); ok {
		field := binary.BigEndian.AppendUint64(nil, uint64(exp.UnixMilli()))
		want = append(want, [2][]byte{postingKey(prefixExpiry, field, loc)})
	}
	if k := disputePosting(e, loc); k != nil {
		want = append(want, [2][]byte{k})
	}
	for _, kv := range want {
		w.expected = append(w.expected, maphash.Bytes(checkSeed, kv[0]))
		if !w.probe.SeekGE(kv[0]) || !bytes.Equal(w.probe.Key(), kv[0]) {
			problem(ProblemIndex, int(index), kv[0], "missing")
			continue
		}
		if kv[1] != nil && !bytes.Equal(w.probe.Value(), kv[1]) {
			// Either form of a location is accepted (indexvalue.go).
			gotH, gotI, ok := decodeIndexValue(w.probe.Value())
			if ok && kv[0][0] == prefixKey && len(w.probe.Value()) != 12 {
				ok = false
			}
			switch {
			case ok && gotH == height && gotI == index:
			case ok:
				problem(ProblemIndex, int(index), kv[0], "points at entry %d of block %d (the key is used twice, or the index is wrong)", gotI, gotH)
			default:
				v := w.probe.Value()
				problem(ProblemIndex, int(index), kv[0], "malformed location (%d bytes)", len(v))
			}
		}
	}
}
