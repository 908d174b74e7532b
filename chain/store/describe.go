package store

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/credmesh/credmesh/chain"
)

// DescribeKey names a database key the way an operator thinks of it
// ("entry 3 of block 12 of chain 1a2b3c4d"), from the layout in doc.go.
// Keys it cannot parse are shown in hex.
func DescribeKey(k []byte) string {
	if len(k) == 0 {
		return "the start of the key space"
	}
	iss := func(b []byte) string { return "chain " + chain.IssuerID(b).Short() }
	body := k[1:]
	switch k[0] {
	case prefixHead:
		if len(body) == 32 {
			return "head of " + iss(body)
		}
	case prefixHeader, prefixTree:
		if len(body) == 40 {
			what := "header"
			if k[0] == prefixTree {
				what = "Merkle tree"
			}
			return fmt.Sprintf("%s of block %d of %s", what, binary.BigEndian.Uint64(body[32:]), iss(body[:32]))
		}
	case prefixHistory:
		if len(body) == 41 {
			return fmt.Sprintf("history node %d/%d of %s", body[32], binary.BigEndian.Uint64(body[33:]), iss(body[:32]))
		}
	case prefixEntries:
		if len(body) == 44 {
			return describeLocation(locationFromSuffix(k))
		}
	case prefixPruned:
		if len(body) == 44 {
			return "key of pruned " + describeLocation(locationFromSuffix(k))
		}
	case prefixLookup:
		if len(body) == 64 {
			return fmt.Sprintf("payment index %s… of %s", hex.EncodeToString(body[:4]), iss(body[32:]))
		}
		if len(body) == 32+issuerPrefixLen {
			return fmt.Sprintf("payment index %s… of the chain whose issuer begins %s", hex.EncodeToString(body[:4]), hex.EncodeToString(body[32:]))
		}
	case prefixKey:
		if len(body) > 32 {
			return fmt.Sprintf("entry-key index %x of %s", body[32:], iss(body[:32]))
		}
	case prefixSubject, prefixQuerier, prefixFix, prefixExpiry, prefixDispute:
		if len(body) >= 44 {
			return fmt.Sprintf("%s index → %s", postingName(k[0]), describeLocation(locationFromSuffix(k)))
		}
	case prefixForked:
		if len(body) == 32 {
			return "equivocation evidence against " + iss(body)
		}
	case prefixAck:
		if len(body) == 32 {
			return "acknowledgement of the fork of " + iss(body)
		}
	case prefixPrivate:
		return "private credit record"
	case prefixCosigned:
		return "the heads this peer last cosigned"
	case prefixWitness:
		if len(body) == 32 {
			return "newest cosigned heads of witness " + chain.IssuerID(body).Short()
		}
	case prefixWitnessForked:
		if len(body) == 32 {
			return "equivocation evidence against witness " + chain.IssuerID(body).Short()
		}
	case prefixMeta:
		return fmt.Sprintf("metadata %q", body)
	}
	return fmt.Sprintf("key %x", k)
}

func describeLocation(l Location) string {
	return fmt.Sprintf("entry %d of block %d of chain %s", l.Index, l.Height, l.Issuer.Short())
}

func postingName(prefix byte) string {
	switch prefix {
	case prefixSubject:
		return "subject"
	case prefixQuerier:
		return "querier"
	case prefixFix:
		return "correction"
	case prefixExpiry:
		return "expiry"
	case prefixDispute:
		return "dispute"
	}
	return string(prefix)
}

// describeRange names the keys from start to end.
func describeRange(start, end []byte) string {
	if len(start) == 0 && len(end) == 0 {
		return "keys unknown"
	}
	return "from " + DescribeKey(start) + " to " + DescribeKey(end)
}
