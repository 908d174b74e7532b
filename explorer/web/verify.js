// The payment proof verifier of docs/PROTOCOL.md 11.4, in the browser: it
// trusts the genesis file only, and uses WebCrypto for SHA-256, HMAC and
// HKDF, AES-256-GCM and Ed25519.
import { decode, DecodeError, Header, Entry, PaymentRecord } from './proto.js';
import { CURRENCIES } from './currencies.js';

const enc = new TextEncoder();
const subtle = globalThis.crypto.subtle;

export function hex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function unhex(s, what) {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) {
    throw new DecodeError(`${what} is not lower-case hex`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
}

export function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export async function sha256(b) {
  return new Uint8Array(await subtle.digest('SHA-256', b));
}

// Merkle tree of RFC 6962 (5.5).
export const leafHash = (d) => sha256(concat(Uint8Array.of(0), d));
export const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

export async function merkleRoot(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(await merkleRoot(leaves.slice(0, k)), await merkleRoot(leaves.slice(k)));
}

export async function auditPath(leaves, m) {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...(await auditPath(leaves.slice(0, k), m)), await merkleRoot(leaves.slice(k))];
  return [...(await auditPath(leaves.slice(k), m - k)), await merkleRoot(leaves.slice(0, k))];
}

// verifyInclusion follows RFC 9162 2.1.3.2 word for word (5.5).
export async function verifyInclusion(leaf, index, size, path, root) {
  if (index >= size) return false;
  let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

// Order IDs, lookup hashes and keys (6.1).
export async function hmac(key, msg) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, msg));
}

export async function derive(networkID, orderID) {
  const ikm = await subtle.importKey('raw', enc.encode(orderID), 'HKDF', false, ['deriveBits']);
  const expand = async (info) => new Uint8Array(await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: enc.encode(networkID), info: enc.encode(info) }, ikm, 256));
  return {
    prk: await hmac(enc.encode(networkID), enc.encode(orderID)),
    lookup: await expand('credmesh/v1 payment lookup'),
    key: await expand('credmesh/v1 payment key'),
  };
}

export const paymentAAD = (lookup, issuer) => concat(enc.encode('credmesh/v1/payment\x00'), lookup, issuer);

export async function openSealed(key, nonce, ciphertext, aad) {
  const k = await subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, k, ciphertext));
}

export async function ed25519Verify(pub, sig, msg) {
  let k;
  try {
    k = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    throw new Error(`this browser's WebCrypto cannot verify Ed25519 (${e.name}); use a current Chromium or Firefox`);
  }
  return subtle.verify({ name: 'Ed25519' }, k, sig, msg);
}

export const headerSigningBytes = (raw) => concat(enc.encode('credmesh/v1/header\x00'), raw);

// Peer IDs (1): base58btc of 0x00 0x24 0x08 0x01 0x12 0x20 || key.
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58(s) {
  let n = 0n;
  for (const c of s) {
    const d = B58.indexOf(c);
    if (d < 0) throw new DecodeError(`"${c}" is not base58`);
    n = n * 58n + BigInt(d);
  }
  const bytes = [];
  while (n > 0n) { bytes.unshift(Number(n & 0xffn)); n >>= 8n; }
  for (const c of s) { if (c !== '1') break; bytes.unshift(0); }
  return Uint8Array.from(bytes);
}

const PEER_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);

export function issuerOfPeerID(id) {
  const b = base58(id);
  if (b.length !== 38 || !equal(b.subarray(0, 6), PEER_PREFIX)) throw new DecodeError(`${id} holds no Ed25519 key`);
  return b.subarray(6);
}

// The genesis (15): the network ID and the members' keys and roles.
export async function readGenesis(bytes) {
  const g = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  const members = new Map();
  for (const m of g.members) members.set(hex(issuerOfPeerID(m.id)), { id: m.id, name: m.name, roles: m.roles });
  return { networkID: g.network_id, members, hash: hex(await sha256(bytes)) };
}

// Field rules (5.4).
const isID = (s, min = 1) => typeof s === 'string' && s.length >= min && s.length <= 128 && /^[\x21-\x7e]+$/.test(s);
const hasCc = (s) => /[\u0000-\u001f\u007f-\u009f]/.test(s);
const utf8Len = (s) => enc.encode(s).length;

export function headerProblem(h) {
  if (!h.issuer || h.issuer.length !== 32) return 'issuer is not 32 bytes';
  if (!h.entries_root || h.entries_root.length !== 32) return 'entries_root is not 32 bytes';
  if (!h.height || h.height < 1n) return 'height is below 1';
  const prev = h.prev_hash || new Uint8Array(0);
  if (h.height === 1n ? prev.length !== 0 : prev.length !== 32) return 'prev_hash has the wrong length for its height';
  const hist = h.history_root || new Uint8Array(0);
  if (h.height === 1n ? hist.length !== 0 : hist.length !== 32) return 'history_root has the wrong length for its height';
  if (!h.time_ms || h.time_ms <= 0n) return 'time_ms is not after 1970';
  if (!h.entry_count || h.entry_count < 1n) return 'entry_count is 0';
  return '';
}

export function recordProblem(r, orderID) {
  const minT = 86400000n, maxT = 7258118400000n; // 1970-01-02 to before 2200-01-01
  if (!isID(r.order_id, 8)) return 'order_id is not 8 to 128 printable ASCII bytes';
  if (r.order_id !== orderID) return `order_id is ${r.order_id}, not the order ID asked`;
  if (!r.payer_ref || r.payer_ref.length !== 32) return 'payer_ref is not 32 bytes';
  if (!r.category || r.category < 1n || r.category > 7n) return 'category is no listed value';
  if ((r.amount_minor ?? 0n) > 10n ** 15n) return 'amount_minor is above 10^15';
  if (!CURRENCIES.has(r.currency ?? '')) return `currency ${r.currency ?? '(none)'} is not a listed code`;
  const m = /^(\d{4})-(\d{2})$/.exec(r.period ?? '');
  if (!m || +m[2] < 1 || +m[2] > 12 || +m[1] < 1970 || +m[1] > 2199) return 'period is not YYYY-MM from 1970-01 to 2199-12';
  if (!r.paid_at_ms || r.paid_at_ms < minT || r.paid_at_ms >= maxT) return 'paid_at_ms is outside 1970-01-02 to 2200';
  const off = r.paid_at_offset_min ?? 0n;
  if (off < -1080n || off > 1080n) return 'paid_at_offset_min is not a UTC offset of at most 18 hours';
  for (const [f, max] of [['channel', 32], ['region', 32], ['item', 96]]) {
    const v = r[f] ?? '';
    if (utf8Len(v) > max) return `${f} is over ${max} bytes`;
    if (hasCc(v)) return `${f} holds a control character`;
  }
  if (r.receipt_no && !isID(r.receipt_no)) return 'receipt_no is not an ID';
  return '';
}

const CATEGORIES = ['', 'pension', 'medical', 'unemployment', 'work_injury', 'maternity', 'tax', 'housing_fund'];

// A check result: name (PROTOCOL.md's name), ok, and what it found.
class Checks {
  constructor() { this.list = []; }
  add(name, ok, detail, proof) { this.list.push({ name, ok, detail, proof }); return ok; }
  get ok() { return this.list.length > 0 && this.list.every((c) => c.ok); }
}

async function signedHeader(sh, what, g) {
  const raw = unhex(sh.header, `${what} header`);
  const sig = unhex(sh.signature, `${what} signature`);
  const h = decode(raw, Header, 'Header');
  return { raw, sig, h, hash: await sha256(raw) };
}

// verifyAnswer checks a GET /v1/proofs answer for orderID against the
// genesis bytes, as a light client checks a PaymentResponse (11.4), and
// returns every check and the opened records. pinned, if set, is the
// genesis hash the operator trusts.
export async function verifyAnswer({ genesis, pinned, orderID, answer }) {
  const c = new Checks();
  const out = { checks: c.list, records: [], forks: [] };
  let g;
  try {
    g = await readGenesis(genesis);
  } catch (e) {
    c.add('genesis', false, `the genesis file does not read: ${e.message}`);
    return out;
  }
  if (pinned) {
    if (!c.add('genesis', g.hash === pinned, g.hash === pinned ? `SHA-256 ${g.hash} is the pinned hash` : `SHA-256 ${g.hash}, not the pinned ${pinned}`)) return out;
  } else {
    c.add('genesis', true, `SHA-256 ${g.hash} (pin it to check it is yours)`);
  }
  const { lookup, key } = await derive(g.networkID, orderID);
  out.lookup = hex(lookup);

  // Answer decoding and proof order.
  let proofs;
  try {
    if (!answer || !Array.isArray(answer.proofs) || !Array.isArray(answer.evidence ?? [])) throw new DecodeError('the answer has no list of proofs');
    if (answer.proofs.length === 0) throw new DecodeError('the answer holds no proof');
    if ((answer.evidence ?? []).length > answer.proofs.length) throw new DecodeError('more pieces of evidence than proofs');
    proofs = [];
    for (const [i, p] of answer.proofs.entries()) {
      if (!Array.isArray(p.path) || p.path.length > 64) throw new DecodeError(`proof ${i + 1}: the audit path is not a list of at most 64 hashes`);
      const path = p.path.map((x, j) => unhex(x, `proof ${i + 1} path[${j}]`));
      if (path.some((x) => x.length !== 32)) throw new DecodeError(`proof ${i + 1}: a path element is not 32 bytes`);
      if (!Number.isInteger(p.index) || p.index < 0 || p.index > 0xffffffff) throw new DecodeError(`proof ${i + 1}: index is not a uint32`);
      const entry = unhex(p.entry, `proof ${i + 1} entry`);
      if (entry.length === 0) throw new DecodeError(`proof ${i + 1}: empty entry`);
      proofs.push({ entry, index: p.index, path, sh: await signedHeader(p.header, `proof ${i + 1}`) });
    }
    c.add('answer decoding', true, `${proofs.length} proof(s), ${(answer.evidence ?? []).length} piece(s) of evidence`);
  } catch (e) {
    c.add('answer decoding', false, e.message);
    return out;
  }
  let ordered = true;
  for (let i = 1; i < proofs.length; i++) {
    const a = proofs[i - 1], b = proofs[i];
    const ci = compareBytes(a.sh.h.issuer ?? [], b.sh.h.issuer ?? []);
    if (ci > 0 || ci === 0) ordered = false; // an issuer twice, or out of order
  }
  if (!c.add('proof order', ordered, ordered ? 'sorted by issuer key, no issuer twice' : 'the proofs are out of order or name one issuer twice')) return out;

  let allOK = true;
  for (const [i, p] of proofs.entries()) {
    const n = i + 1;
    const h = p.sh.h;
    const step = (name, ok, detail) => { if (!c.add(name, ok, detail, n)) allOK = false; return ok; };
    const problem = headerProblem(h);
    if (!step('header', problem === '', problem || `block ${h.height}, ${h.entry_count} entries, hash ${hex(p.sh.hash)}`)) continue;
    if (!step('network', h.network_id === g.networkID, h.network_id === g.networkID ? h.network_id : `header of network "${h.network_id}", not "${g.networkID}"`)) continue;
    const m = g.members.get(hex(h.issuer));
    if (!step('member', !!m, m ? `${m.name} (${m.id})` : `issuer ${hex(h.issuer)} is no member of the genesis`)) continue;
    let sigOK = false, why = 'the signature does not verify under the issuer key';
    try { sigOK = p.sh.sig.length === 64 && await ed25519Verify(h.issuer, p.sh.sig, headerSigningBytes(p.sh.raw)); } catch (e) { why = e.message; }
    if (!step('signature', sigOK, sigOK ? `Ed25519 by ${m.name}` : why)) continue;
    const incl = await verifyInclusion(await leafHash(p.entry), p.index, Number(h.entry_count), p.path, h.entries_root);
    if (!step('inclusion', incl, incl ? `leaf ${p.index} of ${h.entry_count} under entries_root` : 'the audit path does not lead to the header\'s entries_root')) continue;
    const role = (m.roles ?? []).includes('payments');
    if (!step('issuer role', role, role ? 'payments' : `${m.name} lacks the payments role`)) continue;
    let e;
    try { e = decode(p.entry, Entry, 'Entry'); } catch (err) { step('entry', false, err.message); continue; }
    if (!step('entry', !!e.payment, e.payment ? 'a sealed payment' : 'the entry holds no payment')) continue;
    const sp = e.payment;
    const lk = sp.lookup && equal(sp.lookup, lookup);
    if (!step('lookup hash', lk, lk ? hex(lookup) : 'the entry\'s lookup hash is not the order ID\'s')) continue;
    let rec, rp = '';
    try {
      if (!sp.nonce || sp.nonce.length !== 12 || !sp.ciphertext || sp.ciphertext.length < 17) throw new Error('nonce or ciphertext of the wrong size');
      const plain = await openSealed(key, sp.nonce, sp.ciphertext, paymentAAD(lookup, h.issuer));
      rec = decode(plain, PaymentRecord, 'PaymentRecord');
      rp = recordProblem(rec, orderID);
    } catch (err) {
      rp = err.name === 'OperationError' ? 'AES-GCM refuses it: not sealed under this order ID for this issuer' : err.message;
    }
    if (!step('sealed record', rp === '', rp || 'opened with AES-256-GCM and valid')) continue;
    out.records.push({
      issuer: m.id, issuer_name: m.name, height: Number(h.height), block_hash: hex(p.sh.hash),
      order_id: rec.order_id, category: CATEGORIES[Number(rec.category)], amount_minor: rec.amount_minor.toString(),
      currency: rec.currency, period: rec.period, paid_at: inOffset(Number(rec.paid_at_ms), Number(rec.paid_at_offset_min ?? 0n)),
      channel: rec.channel ?? '', region: rec.region ?? '', item: rec.item ?? '', receipt_no: rec.receipt_no ?? '',
    });
  }

  // Evidence (7), about the proofs' issuers, one piece each at most.
  const evidence = answer.evidence ?? [];
  const issuers = new Set(proofs.map((p) => hex(p.sh.h.issuer ?? new Uint8Array(0))));
  const accused = new Set();
  let evOK = true, evWhy = evidence.length ? '' : 'none served';
  for (const [i, ev] of evidence.entries()) {
    try {
      const a = await signedHeader(ev.a, `evidence ${i + 1} a`), b = await signedHeader(ev.b, `evidence ${i + 1} b`);
      for (const x of [a, b]) {
        const pr = headerProblem(x.h);
        if (pr) throw new Error(pr);
        if (x.h.network_id !== g.networkID) throw new Error('a header of another network');
        if (!g.members.has(hex(x.h.issuer))) throw new Error('a header of a non-member');
        if (!(x.sig.length === 64 && await ed25519Verify(x.h.issuer, x.sig, headerSigningBytes(x.raw)))) throw new Error('a signature does not verify');
      }
      const iss = hex(a.h.issuer);
      if (iss !== hex(b.h.issuer) || a.h.height !== b.h.height) throw new Error('the headers are not of one issuer at one height');
      if (equal(a.hash, b.hash)) throw new Error('the two headers are the same');
      if (!issuers.has(iss)) throw new Error('about an issuer none of the proofs is of');
      if (accused.has(iss)) throw new Error('a second piece about one issuer');
      accused.add(iss);
      out.forks.push({ issuer: g.members.get(iss).id, name: g.members.get(iss).name, height: Number(a.h.height) });
    } catch (e) {
      evOK = false;
      evWhy = `piece ${i + 1}: ${e.message}`;
      break;
    }
  }
  if (evOK && evidence.length) evWhy = `${evidence.length} verified: ${out.forks.map((f) => f.name).join(', ')} forked`;
  c.add('evidence', evOK, evWhy);
  for (const r of out.records) r.forked = out.forks.some((f) => f.issuer === r.issuer);
  out.ok = c.ok && allOK;
  return out;
}

// protocolExamples recomputes PROTOCOL.md section 14's values from its
// inputs, for the test that holds this file to the document.
export async function protocolExamples(ex) {
  const got = {};
  const d = await derive(ex.network_id, ex.order_id);
  got.prk = hex(d.prk); got.lookup = hex(d.lookup); got.payment_key = hex(d.key);
  const issuer = issuerOfPeerID(ex.peer_id);
  got.issuer = hex(issuer);
  got.peer_id_bytes = hex(base58(ex.peer_id));
  got.aad = hex(paymentAAD(d.lookup, issuer));
  const e = decode(unhex(ex.sealed_entry, 'sealed_entry'), Entry, 'Entry');
  got.nonce = hex(e.payment.nonce);
  got.ciphertext = hex(e.payment.ciphertext);
  got.entry_key = '01' + hex(e.payment.lookup);
  const plain = await openSealed(d.key, e.payment.nonce, e.payment.ciphertext, paymentAAD(d.lookup, issuer));
  got.payment_record = hex(plain);
  const rec = decode(plain, PaymentRecord, 'PaymentRecord');
  got.record_valid = recordProblem(rec, ex.order_id) || 'valid';
  const leaves = [];
  for (let i = 0; i < 3; i++) leaves.push(await leafHash(enc.encode(`entry-${i}`)));
  [got.leaf_0, got.leaf_1, got.leaf_2] = leaves.map(hex);
  got.node_01 = hex(await nodeHash(leaves[0], leaves[1]));
  const root = await merkleRoot(leaves);
  got.root_3 = hex(root);
  got.path_0 = (await auditPath(leaves, 0)).map(hex).join('');
  got.path_2 = (await auditPath(leaves, 2)).map(hex).join('');
  got.inclusion = [];
  for (let i = 0; i < 3; i++) got.inclusion.push(await verifyInclusion(leaves[i], i, 3, await auditPath(leaves, i), root));
  got.inclusion_wrong_index = await verifyInclusion(leaves[0], 1, 3, await auditPath(leaves, 0), root);
  const raw = unhex(ex.header, 'header');
  got.block_hash = hex(await sha256(raw));
  const h = decode(raw, Header, 'Header');
  got.header_root = hex(h.entries_root);
  got.header_problem = headerProblem(h) || 'well formed';
  got.header_signature_valid = await ed25519Verify(issuer, unhex(ex.header_signature, 'sig'), headerSigningBytes(raw));
  const bad = unhex(ex.header_signature, 'sig'); bad[0] ^= 1;
  got.flipped_signature_valid = await ed25519Verify(issuer, bad, headerSigningBytes(raw));
  got.subject_secret_fingerprint = hex(await sha256(concat(enc.encode('credmesh/v1/subject-secret\x00' + ex.network_id + '\x00'), unhex(ex.subject_secret, 'secret'))));
  return got;
}

// inOffset writes a Unix millisecond time as RFC 3339 in the UTC offset of
// off minutes, as the record was submitted.
export function inOffset(ms, off) {
  const iso = new Date(ms + off * 60000).toISOString().replace(/\.000Z$/, 'Z');
  if (off === 0) return iso;
  const a = Math.abs(off);
  const pad = (n) => String(n).padStart(2, '0');
  return iso.replace(/Z$/, `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`);
}
