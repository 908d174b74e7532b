package chain

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// UnmarshalStrict decodes data into m as proto.Unmarshal does, after
// refusing what proto.Unmarshal lets through but a signed or hashed message
// must not carry (docs/PROTOCOL.md, section 4.1), at any depth:
//
//   - a field number the schema does not define, or a defined field with
//     another wire type (proto.Unmarshal keeps both as unknown fields);
//   - a non-repeated field that appears twice, or two fields of one oneof
//     (proto.Unmarshal lets the last one win, or merges messages);
//   - a uint32 varint above 2^32-1, an int32 or enum varint outside the
//     int32 range (proto.Unmarshal truncates them), a bool other than 0 or 1.
//
// Signers and hashers then vouch only for bytes every implementation
// decodes alike. Errors do not wrap a sentinel; callers wrap them.
func UnmarshalStrict(data []byte, m proto.Message) error {
	if err := checkWire(data, m.ProtoReflect().Descriptor(), 0); err != nil {
		return err
	}
	return proto.Unmarshal(data, m)
}

// maxStrictDepth bounds the nesting UnmarshalStrict follows: far beyond any
// valid message (an entry nests three deep, a credit answer five).
const maxStrictDepth = 32

func checkWire(b []byte, md protoreflect.MessageDescriptor, depth int) error {
	if depth > maxStrictDepth {
		return fmt.Errorf("%s: nested more than %d deep", md.Name(), maxStrictDepth)
	}
	var seen fieldSet
	var oneofs fieldSet // by oneof index
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: %w", md.Name(), protowire.ParseError(n))
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			return fmt.Errorf("%s: unknown field %d", md.Name(), num)
		}
		name := string(md.Name()) + "." + string(fd.Name())
		if fd.Cardinality() != protoreflect.Repeated {
			if !seen.add(int(num)) {
				return fmt.Errorf("%s: appears twice", name)
			}
			if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && !oneofs.add(od.Index()) {
				return fmt.Errorf("%s: a second field of oneof %s", name, od.Name())
			}
		}
		n, err := checkField(b, typ, fd, name, depth)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// fieldSet is a set of small numbers: a bit mask below 64, a map above.
type fieldSet struct {
	low  uint64
	high map[int]bool
}

// add adds n and reports whether it was absent.
func (s *fieldSet) add(n int) bool {
	if n < 64 {
		had := s.low&(1<<n) != 0
		s.low |= 1 << n
		return !had
	}
	if s.high == nil {
		s.high = make(map[int]bool)
	}
	had := s.high[n]
	s.high[n] = true
	return !had
}

// checkField checks the value of field fd at the start of b, of wire type
// typ, and returns its length.
func checkField(b []byte, typ protowire.Type, fd protoreflect.FieldDescriptor, name string, depth int) (int, error) {
	want := wireType(fd.Kind())
	packed := fd.IsList() && typ == protowire.BytesType && want != protowire.BytesType
	if typ != want && !packed {
		return 0, fmt.Errorf("%s: wire type %d, want %d", name, typ, want)
	}
	if want != protowire.VarintType {
		n := protowire.ConsumeFieldValue(fd.Number(), typ, b)
		if n < 0 {
			return 0, fmt.Errorf("%s: %w", name, protowire.ParseError(n))
		}
		if fd.Kind() == protoreflect.MessageKind {
			v, _ := protowire.ConsumeBytes(b)
			if err := checkWire(v, fd.Message(), depth+1); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
	if packed {
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, fmt.Errorf("%s: %w", name, protowire.ParseError(n))
		}
		for len(v) > 0 {
			m, err := checkVarint(v, fd.Kind(), name)
			if err != nil {
				return 0, err
			}
			v = v[m:]
		}
		return n, nil
	}
	return checkVarint(b, fd.Kind(), name)
}

func checkVarint(b []byte, k protoreflect.Kind, name string) (int, error) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, fmt.Errorf("%s: %w", name, protowire.ParseError(n))
	}
	switch k {
	case protoreflect.Uint32Kind:
		if v > math.MaxUint32 {
			return 0, fmt.Errorf("%s: %d does not fit in 32 bits", name, v)
		}
	case protoreflect.Int32Kind, protoreflect.EnumKind:
		if s := int64(v); s < math.MinInt32 || s > math.MaxInt32 {
			return 0, fmt.Errorf("%s: %d does not fit in 32 bits", name, s)
		}
	case protoreflect.Sint32Kind:
		if s := protowire.DecodeZigZag(v); s < math.MinInt32 || s > math.MaxInt32 {
			return 0, fmt.Errorf("%s: %d does not fit in 32 bits", name, s)
		}
	case protoreflect.BoolKind:
		if v > 1 {
			return 0, fmt.Errorf("%s: bool %d, want 0 or 1", name, v)
		}
	}
	return n, nil
}

// wireType is the wire type protobuf encodes a field of kind k with.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind,
		protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	}
	return protowire.BytesType // string, bytes, message
}
