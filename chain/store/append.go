package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// Append stores validated blocks, in order, in one atomic batch. Each must
// follow the head of its chain (or the block before it in vbs); an entry
// whose key its issuer used before, or a correction of an entry that does
// not exist, fails the whole batch with a provable chain error. The write is
// not fsynced (see the package documentation).
//
// Below the disk's lower threshold it fails with ErrDiskFull and stores
// nothing: the blocks are synced again once space returns.
func (s *Store) Append(vbs ...*chain.VerifiedBlock) error {
	return s.commit(vbs, nil, false, pebble.NoSync, diskspace.Critical)
}

// commit writes vbs and, when extra is set, lets it add to the batch; sync
// decides whether the commit waits for the disk. keysChecked says the
// caller has already made sure no entry key is in use (the builder checks
// every key as it accepts the entry), which spares probing them again. The
// batch is refused with ErrDiskFull if the disk is at refuseAt or the batch
// would not fit (see space.go).
func (s *Store) commit(vbs []*chain.VerifiedBlock, extra func(*pebble.Batch) error, keysChecked bool, sync *pebble.WriteOptions, refuseAt diskspace.Level) error {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()

	b := s.db.NewBatch()
	defer b.Close()
	heads := make(map[chain.IssuerID]*chain.SignedHeader)
	added := make(map[string]struct{})
	for _, vb := range vbs {
		head, seen := heads[vb.Issuer]
		if !seen {
			head = s.Head(vb.Issuer)
			if head == nil {
				if err := s.prefixFree(vb.Issuer, heads); err != nil {
					return err
				}
			}
		}
		if err := chain.CheckLink(vb.SignedHeader, head); err != nil {
			return err
		}
		if err := s.addBlock(b, vb, added, keysChecked); err != nil {
			return err
		}
		next, err := extendHistory(b, head, vb)
		if err != nil {
			return err
		}
		heads[vb.Issuer] = next
	}
	if extra != nil {
		if err := extra(b); err != nil {
			return err
		}
	}
	if err := s.room(refuseAt, b.Len()); err != nil {
		return err
	}
	rotate := s.recent.add(added, b.Len())
	if err := b.Commit(sync); err != nil {
		return fmt.Errorf("store: committing blocks: %w", err)
	}
	if rotate {
		if err := s.recent.rotate(s.db); err != nil {
			s.log.Debug("store: starting a flush of recent keys", "err", err)
		}
	}
	s.mu.Lock()
	for iss, h := range heads {
		s.mu.heads[iss] = h
		s.mu.byPrefix[prefixOf(iss)] = iss
	}
	s.mu.Unlock()
	return nil
}

// addBlock puts one block and its index keys into b. added holds the index
// keys of entry keys already in this batch.
func (s *Store) addBlock(b *pebble.Batch, vb *chain.VerifiedBlock, added map[string]struct{}, keysChecked bool) error {
	iss, height := vb.Issuer, vb.Height
	// Every key the block takes: its entries' keys, and each receipt's
	// second key (querier and query ID), both in the entry-key index.
	own := make([][]byte, len(vb.Keys))
	for i, k := range vb.Keys {
		own[i] = s.keyIndexKey(iss, k)
	}
	ids := make([][]byte, len(vb.Decoded))
	for i, e := range vb.Decoded {
		if k := chain.QueryIDKey(e); k != nil {
			ids[i] = s.keyIndexKey(iss, k)
		}
	}
	// Probe the keys the block needs (its own, unless already checked, and
	// the targets of its corrections) in one pass.
	var probes [][]byte
	if !keysChecked {
		probes = append(probes, own...)
		for _, k := range ids {
			if k != nil {
				probes = append(probes, k)
			}
		}
	}
	nOwn := len(probes)
	for _, e := range vb.Decoded {
		if c := e.GetCorrection(); c != nil { // nil for a pruned entry
			probes = append(probes, s.keyIndexKey(iss, c.TargetKey))
		}
	}
	found, err := s.existing(probes)
	if err != nil {
		return err
	}
	taken := make(map[string]bool)
	for i, f := range found[:nOwn] {
		if f {
			taken[string(probes[i])] = true
		}
	}
	targets := found[nOwn:]
	for i, e := range vb.Decoded {
		loc := Location{Issuer: iss, Height: height, Index: uint32(i)}
		key := own[i]
		if _, dup := added[string(key)]; dup || taken[string(key)] {
			return fmt.Errorf("%w: block %d entry %d of %s reuses a key", chain.ErrDuplicateKey, height, i, iss.Short())
		}
		added[string(key)] = struct{}{}
		if err := b.Set(key, indexValue(key, height, uint32(i)), nil); err != nil {
			return err
		}
		if e == nil {
			// Pruned before it reached us (chain.ValidateSynced): its key
			// stays taken, as on the peers that pruned it, and nothing
			// else of it is indexed.
			if err := b.Set(prunedKey(iss, height, uint32(i)), vb.Keys[i], nil); err != nil {
				return err
			}
			continue
		}
		if id := ids[i]; id != nil {
			if _, dup := added[string(id)]; dup || taken[string(id)] {
				return fmt.Errorf("%w: block %d entry %d of %s is a receipt of a second query under a querier's query ID", chain.ErrDuplicateKey, height, i, iss.Short())
			}
			added[string(id)] = struct{}{}
			if err := b.Set(id, indexValue(id, height, uint32(i)), nil); err != nil {
				return err
			}
		}
		if err := b.Set(entryKey(iss, height, uint32(i)), vb.Entries[i], nil); err != nil {
			return err
		}
		if subj := chain.SubjectOf(e); subj != nil {
			if err := b.Set(postingKey(prefixSubject, subj, loc), nil, nil); err != nil {
				return err
			}
		}
		if r := e.GetQueryReceipt(); r != nil {
			q, err := chain.ReceiptQuery(r)
			if err != nil {
				return err
			}
			if err := b.Set(postingKey(prefixQuerier, q.Querier, loc), nil, nil); err != nil {
				return err
			}
		}
		if c := e.GetCorrection(); c != nil {
			_, inBatch := added[string(s.keyIndexKey(iss, c.TargetKey))]
			if !targets[0] && !inBatch {
				return fmt.Errorf("%w: block %d entry %d of %s corrects an entry that does not exist", chain.ErrBadEntry, height, i, iss.Short())
			}
			targets = targets[1:]
			fix := append(append([]byte(nil), iss[:]...), c.TargetKey...)
			if err := b.Set(postingKey(prefixFix, fix, loc), nil, nil); err != nil {
				return err
			}
		}
		if k := disputePosting(e, loc); k != nil {
			if err := b.Set(k, nil, nil); err != nil {
				return err
			}
		}
		if exp, ok := chain.ExpiresAt(e); ok {
			field := binary.BigEndian.AppendUint64(nil, uint64(exp.UnixMilli()))
			if err := b.Set(postingKey(prefixExpiry, field, loc), nil, nil); err != nil {
				return err
			}
		}
	}
	nodes := vb.Tree.Nodes()
	if treeCanSkip(vb) {
		nodes = vb.Tree.Upper(treeSkip)
	}
	tree := make([]byte, 0, merkle.Size*len(nodes))
	for _, n := range nodes {
		tree = append(tree, n[:]...)
	}
	head := binary.BigEndian.AppendUint64(make([]byte, 0, 8), height)
	for _, kv := range [][2][]byte{
		{blockKey(prefixHeader, iss, height), vb.SignedHeader.Marshal()},
		{blockKey(prefixTree, iss, height), tree},
		{headKey(iss), head},
	} {
		if err := b.Set(kv[0], kv[1], nil); err != nil {
			return err
		}
	}
	return nil
}
