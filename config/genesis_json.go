package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The file's shape. Field order here is the order Marshal writes.
type genesisJSON struct {
	NetworkID   string       `json:"network_id"`
	GenesisTime string       `json:"genesis_time"`
	Members     []memberJSON `json:"members"`
	Params      paramsJSON   `json:"params"`
}

type memberJSON struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	Addrs []string `json:"addrs"`
	// InstitutionType is left out when empty, so a genesis without it
	// keeps its bytes and hash.
	InstitutionType string `json:"institution_type,omitempty"`
}

type paramsJSON struct {
	BlockInterval   string `json:"block_interval"`
	MaxBlockEntries int    `json:"max_block_entries"`
	MaxBlockBytes   int    `json:"max_block_bytes"`
	MaxEntryBytes   int    `json:"max_entry_bytes"`
	MaxClockSkew    string `json:"max_clock_skew"`
	WitnessPeriod   string `json:"witness_period,omitempty"`
	QueryFeeMinor   uint64 `json:"query_fee_minor"`
	FeeCurrency     string `json:"fee_currency"`
	// SubjectSecretFingerprint has no default: a file without it is
	// refused.
	SubjectSecretFingerprint string `json:"subject_secret_fingerprint"`
	// ReplicationFactor is left out when 0, so a genesis of full
	// replication is written as before this parameter existed.
	ReplicationFactor int `json:"replication_factor,omitempty"`
	// The governance parameters are written only when set, so that a
	// genesis without them keeps its bytes and hash.
	ApprovalThreshold int    `json:"approval_threshold,omitempty"`
	ActivationDelay   string `json:"activation_delay,omitempty"`
	// Left out when 0 (the default, 20 days), like the above.
	DisputeResponseDays int `json:"dispute_response_days,omitempty"`
}

func paramsToJSON(p GenesisParams) paramsJSON {
	return paramsJSON{
		BlockInterval:   p.BlockInterval.String(),
		MaxBlockEntries: p.MaxBlockEntries,
		MaxBlockBytes:   p.MaxBlockBytes,
		MaxEntryBytes:   p.MaxEntryBytes,
		MaxClockSkew:    p.MaxClockSkew.String(),
		QueryFeeMinor:   p.QueryFeeMinor,
		FeeCurrency:     p.FeeCurrency,
		WitnessPeriod:   witnessPeriodJSON(p.WitnessPeriod),

		SubjectSecretFingerprint: p.SubjectSecretFingerprint,
		ReplicationFactor:        p.ReplicationFactor,
		ApprovalThreshold:        p.ApprovalThreshold,
		ActivationDelay:          durationOrEmpty(p.ActivationDelay),
		DisputeResponseDays:      p.DisputeResponseDays,
	}
}

func (g *Genesis) wire() *genesisJSON {
	w := &genesisJSON{
		NetworkID: g.networkID,
		Members:   make([]memberJSON, len(g.members)),
		Params:    paramsToJSON(g.params),
	}
	if !g.time.IsZero() {
		w.GenesisTime = g.time.Format(time.RFC3339Nano)
	}
	for i, m := range g.members {
		mj := memberJSON{ID: m.ID.String(), Name: m.Name, Roles: []string{}, Addrs: []string{}, InstitutionType: string(m.InstitutionType)}
		for _, r := range m.Roles {
			mj.Roles = append(mj.Roles, string(r))
		}
		for _, a := range m.Addrs {
			mj.Addrs = append(mj.Addrs, a.String())
		}
		w.Members[i] = mj
	}
	return w
}

func (g *Genesis) encode() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g.wire()); err != nil {
		panic("config: encoding genesis: " + err.Error()) // strings and numbers only
	}
	return buf.Bytes() // Encode ends with a newline
}

// decodeGenesis decodes the file's JSON, refusing unknown fields and
// trailing data. Parameters absent from the file keep their defaults.
func decodeGenesis(file string, data []byte) (*genesisJSON, error) {
	w := &genesisJSON{Params: paramsToJSON(DefaultGenesisParams())}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(w)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			line, col := position(data, skipSeparators(data, dec.InputOffset()))
			return nil, &FieldError{File: file, Line: line, Column: col, Msg: "unexpected data after the genesis object"}
		}
		// encoding/json matches keys regardless of case and lets a
		// repeated key win silently; a network's identity must not be
		// that loose.
		if err := checkGenesisKeys(file, data); err != nil {
			return nil, err
		}
		return w, nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1)
		return nil, &FieldError{File: file, Line: line, Column: col, Msg: "JSON syntax: " + strings.TrimPrefix(syn.Error(), "json: "), Err: err}
	case errors.As(err, &typ):
		ix := indexJSON(data)
		field, off, ok := ix.valueBefore(typ.Field, typ.Offset)
		if !ok {
			field, off = typ.Field, typ.Offset
		}
		line, col := position(data, off)
		return nil, &FieldError{File: file, Field: field, Line: line, Column: col,
			Msg: fmt.Sprintf("%s where %s is expected", typ.Value, jsonKind(typ.Type.Kind().String())), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		line, col := position(data, int64(len(data)))
		return nil, &FieldError{File: file, Line: line, Column: col, Msg: "JSON syntax: unexpected end of file", Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		if errs := checkGenesisKeys(file, data); errs != nil {
			return nil, errs
		}
	}
	return nil, &FieldError{File: file, Msg: strings.TrimPrefix(err.Error(), "json: "), Err: err}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int":
		return "an integer"
	case "uint64":
		return "a non-negative integer"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	}
	return "a " + goKind
}

// checkGenesisKeys reports every key of data that names no field (keys
// must match in case too), every key repeated in one object and every null
// (which encoding/json would read as an absent field), with its position.
func checkGenesisKeys(file string, data []byte) error {
	known := map[string][]string{
		"":          jsonFields[genesisJSON](),
		"members[]": jsonFields[memberJSON](),
		"params":    jsonFields[paramsJSON](),
	}
	var errs []error
	seen := make(map[string]bool)
	ix := indexJSON(data)
	for _, path := range ix.nulls {
		line, col := ix.at(path)
		errs = append(errs, &FieldError{File: file, Field: path, Line: line, Column: col,
			Msg: "null is not a value: give one, or leave an optional field out"})
	}
	for _, k := range ix.keys {
		path := joinPath(k.parent, k.name)
		line, col := position(data, k.off)
		fields, ok := known[indexPart.ReplaceAllString(k.parent, "[]")]
		switch {
		case ok && !slices.Contains(fields, k.name):
			errs = append(errs, &FieldError{File: file, Field: path, Line: line, Column: col,
				Msg: "unknown field (known here: " + strings.Join(fields, ", ") + ")"})
		case seen[path]:
			errs = append(errs, &FieldError{File: file, Field: path, Line: line, Column: col, Msg: "repeated key"})
		}
		seen[path] = true
	}
	return errors.Join(errs...)
}

// jsonFields lists the JSON keys of struct type T.
func jsonFields[T any]() []string {
	t := reflect.TypeFor[T]()
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}

// witnessPeriodJSON is the file's witness_period: left out when 0.
func witnessPeriodJSON(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
