package pgsource

import (
	"context"
	"fmt"

	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/jackc/pgx/v5"
)

// rawID is a subject's ID as the institution's table spells it. It stays
// inside the source: it is a statement parameter and nothing else.
type rawID struct{ kind, id string }

// index maps subject references to the raw IDs that derive them (one
// normally; more when the table spells one ID in several ways).
type index struct {
	refs map[privacy.Ref][]rawID
	// unusable counts the distinct IDs that are not valid IDs of their
	// kind: their rows can never be asked for.
	unusable int
}

// buildIndex reads every subject of the mapping and derives its
// reference.
func buildIndex(ctx context.Context, conn *pgx.Conn, m *mapping, secret []byte) (*index, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", creditsource.ErrUnavailable, err)
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, m.subjectsSQL)
	if err != nil {
		return nil, fmt.Errorf("%w: listing subjects: %w", creditsource.ErrUnavailable, err)
	}
	defer rows.Close()
	ix := &index{refs: make(map[privacy.Ref][]rawID)}
	var kind, id *string
	for rows.Next() {
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, fmt.Errorf("%w: listing subjects: %w", creditsource.ErrMapping, err)
		}
		if id == nil {
			continue
		}
		k := "cn-rid"
		if kind != nil {
			k = *kind
		}
		parsed, err := privacy.ParseID(privacy.Kind(k), *id)
		if err != nil {
			ix.unusable++
			continue
		}
		ref, err := parsed.Ref(secret)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", creditsource.ErrMapping, err)
		}
		ix.refs[ref] = append(ix.refs[ref], rawID{kind: k, id: *id})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%w: listing subjects: %w", creditsource.ErrUnavailable, err)
	}
	return ix, nil
}

// argsFor returns the statement's arguments for one raw ID.
func (m *mapping) argsFor(id rawID) []any {
	out := make([]any, len(m.args))
	for i, name := range m.args {
		if name == "subject_kind" {
			out[i] = id.kind
		} else {
			out[i] = id.id
		}
	}
	return out
}
