// Strict protobuf decoding (docs/PROTOCOL.md 4.1) of the messages a
// payment proof carries. A schema maps field numbers to
// {name, type, oneof?, msg?}; decode refuses an unknown field, a wrong wire
// type, a non-repeated field twice, two fields of one oneof, a uint32 above
// 2^32 − 1, an int32 or enum outside 32 bits, a bool other than 0 or 1, and
// a string that is not UTF-8. Integers come out as BigInt.

export class DecodeError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function varint(buf, pos) {
  let v = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos.i >= buf.length) throw new DecodeError('a varint runs past the end');
    const b = buf[pos.i++];
    v |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) {
      if (v >= 1n << 64n) throw new DecodeError('a varint above 64 bits');
      return v;
    }
  }
  throw new DecodeError('a varint longer than ten bytes');
}

const WIRE = { uint64: 0, int64: 0, uint32: 0, int32: 0, enum: 0, bool: 0, bytes: 2, string: 2, message: 2 };

export function decode(buf, schema, what) {
  const out = {};
  const seen = new Set();
  const oneofs = {};
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = varint(buf, pos);
    const num = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    const f = schema[num];
    if (!f) throw new DecodeError(`${what}: unknown field ${num}`);
    if (WIRE[f.type] !== wt) throw new DecodeError(`${what}.${f.name}: wire type ${wt}`);
    if (seen.has(num)) throw new DecodeError(`${what}.${f.name} appears twice`);
    seen.add(num);
    if (f.oneof) {
      if (oneofs[f.oneof]) throw new DecodeError(`${what}: two fields of ${f.oneof}`);
      oneofs[f.oneof] = f.name;
    }
    if (wt === 0) {
      let v = varint(buf, pos);
      switch (f.type) {
        case 'uint32':
          if (v > 0xffffffffn) throw new DecodeError(`${what}.${f.name} above 2^32 − 1`);
          break;
        case 'int32':
        case 'enum': {
          const s = BigInt.asIntN(64, v);
          if (s < -(1n << 31n) || s >= 1n << 31n) throw new DecodeError(`${what}.${f.name} outside 32 bits`);
          v = s;
          break;
        }
        case 'int64':
          v = BigInt.asIntN(64, v);
          break;
        case 'bool':
          if (v > 1n) throw new DecodeError(`${what}.${f.name} is a bool of ${v}`);
          v = v === 1n;
          break;
      }
      out[f.name] = v;
    } else {
      const len = Number(varint(buf, pos));
      if (pos.i + len > buf.length) throw new DecodeError(`${what}.${f.name} runs past the end`);
      const b = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
      if (f.type === 'string') {
        try { out[f.name] = utf8.decode(b); } catch { throw new DecodeError(`${what}.${f.name} is not UTF-8`); }
      } else if (f.type === 'message') {
        out[f.name] = f.msg ? decode(b, f.msg, `${what}.${f.name}`) : b;
      } else {
        out[f.name] = b;
      }
    }
  }
  return out;
}

export const Header = {
  1: { name: 'network_id', type: 'string' },
  2: { name: 'issuer', type: 'bytes' },
  3: { name: 'height', type: 'uint64' },
  4: { name: 'prev_hash', type: 'bytes' },
  5: { name: 'time_ms', type: 'int64' },
  6: { name: 'entry_count', type: 'uint32' },
  7: { name: 'entries_root', type: 'bytes' },
  8: { name: 'history_root', type: 'bytes' },
};

export const SealedPayment = {
  1: { name: 'lookup', type: 'bytes' },
  2: { name: 'nonce', type: 'bytes' },
  3: { name: 'ciphertext', type: 'bytes' },
};

// Only the payment body is decoded further: an entry of another kind fails
// the "entry" check whatever it holds.
export const Entry = {
  1: { name: 'payment', type: 'message', oneof: 'body', msg: SealedPayment },
  2: { name: 'credit_event', type: 'message', oneof: 'body' },
  3: { name: 'query_receipt', type: 'message', oneof: 'body' },
  4: { name: 'correction', type: 'message', oneof: 'body' },
};

export const PaymentRecord = {
  1: { name: 'order_id', type: 'string' },
  2: { name: 'payer_ref', type: 'bytes' },
  3: { name: 'category', type: 'enum' },
  4: { name: 'amount_minor', type: 'uint64' },
  5: { name: 'currency', type: 'string' },
  6: { name: 'period', type: 'string' },
  7: { name: 'paid_at_ms', type: 'int64' },
  8: { name: 'channel', type: 'string' },
  9: { name: 'region', type: 'string' },
  10: { name: 'item', type: 'string' },
  11: { name: 'receipt_no', type: 'string' },
  12: { name: 'paid_at_offset_min', type: 'int32' },
};

export const SignedHeader = {
  1: { name: 'header', type: 'bytes' },
  2: { name: 'signature', type: 'bytes' },
};
