// The explorer page: network, chains and blocks, payment lookup verified
// here, credit. Every /v1 call sends the API token when the peer needs one.
import { verifyAnswer, derive, hex, readGenesis } from './verify.js';

const $ = (id) => document.getElementById(id);
const TOKEN = 'credmesh.token', PIN = 'credmesh.genesis';

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : document.createTextNode(String(k ?? '')));
  return e;
}

const short = (s) => (s && s.length > 16 ? s.slice(0, 8) + '…' + s.slice(-6) : s ?? '');
const when = (t) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
const money = (m) => Object.entries(m ?? {}).map(([c, v]) => `${(Number(v) / 100).toFixed(2)} ${c}`).join(', ') || '0';

function showError(msg) {
  const e = $('error');
  e.textContent = msg;
  e.hidden = !msg;
}

class APIError extends Error {}

// api calls the peer; an error comes back in words.
async function api(path, body) {
  const headers = {};
  const tok = sessionStorage.getItem(TOKEN);
  if (tok) headers.Authorization = 'Bearer ' + tok;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new APIError('The peer does not answer: it may have stopped, or the network between this browser and it is down.');
  }
  if (r.status === 401) {
    sessionStorage.removeItem(TOKEN);
    $('tokenform').hidden = false;
    throw new APIError('The peer refused the API token: type the token of its config.toml (api.token).');
  }
  const text = await r.text();
  let v;
  try { v = JSON.parse(text); } catch { throw new APIError(`The peer answered ${r.status} with something that is not JSON.`); }
  if (!r.ok && r.status !== 409) throw new APIError(v?.error?.message ? `${v.error.message} (${r.status})` : `The peer answered ${r.status}.`);
  return v;
}

async function apiBytes(path) {
  const headers = {};
  const tok = sessionStorage.getItem(TOKEN);
  if (tok) headers.Authorization = 'Bearer ' + tok;
  const r = await fetch(path, { headers });
  if (!r.ok) throw new APIError(`The peer did not serve ${path} (${r.status}).`);
  return new Uint8Array(await r.arrayBuffer());
}

// Tabs: arrow keys, Home and End move between them (WAI-ARIA tabs).
function tabs() {
  const list = [...document.querySelectorAll('[role=tab]')];
  const select = (t, focus) => {
    for (const o of list) {
      const on = o === t;
      o.setAttribute('aria-selected', on);
      o.tabIndex = on ? 0 : -1;
      $(o.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) t.focus();
    location.hash = t.getAttribute('aria-controls');
  };
  for (const t of list) {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (e) => {
      const i = list.indexOf(t);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(list[(to + list.length) % list.length], true);
    });
  }
  const start = list.find((t) => '#' + t.getAttribute('aria-controls') === location.hash);
  if (start) select(start);
}

// Network panel, polled.
const trend = { records: [], blocks: [], sealed: [], queries: [], at: [] };
const WINDOW = 150; // polls of 2 s: five minutes
let last = null, view = null;

function chart(title, series) {
  const w = 260, h = 60, max = Math.max(1, ...series);
  const pts = series.map((v, i) => `${(i / Math.max(1, series.length - 1)) * w},${h - 1 - (v / max) * (h - 6)}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: ${series.at(-1) ?? 0} in the last 2 s, at most ${max}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', pts); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#0b57d0'); line.setAttribute('stroke-width', '2');
  svg.append(line);
  const label = series.length < 2 ? `${title}: collecting (a point every 2 s)` : `${title} per 2 s: now ${series.at(-1)}, peak ${Math.max(...series)}`;
  return el('div', { class: 'chart' }, el('div', {}, label), svg);
}

function renderNetwork(v) {
  $('netname').textContent = `· ${v.network}`;
  const self = v.members.find((m) => m.self);
  $('peer').textContent = `served by ${self?.name ?? ''} (${v.self}) · genesis ${short(v.genesis_hash)} · ${v.pending} pending · ${when(v.at)}`;
  const tb = $('members').tBodies[0];
  tb.replaceChildren(...v.members.map((m) => el('tr', { 'data-peer': m.peer_id },
    el('td', {}, el('strong', {}, m.name), m.self ? ' (this peer)' : '', m.forked ? el('span', { class: 'bad' }, ' forked') : '', el('br'), el('code', { title: m.peer_id }, short(m.peer_id))),
    el('td', {}, m.roles.join(', ')),
    el('td', { class: m.self || m.connected ? 'ok' : 'bad' }, m.self ? 'self' : m.connected ? 'connected' : 'not connected'),
    el('td', {}, m.latency_ms != null ? `${m.latency_ms.toFixed(1)} ms` : '—'),
    el('td', {}, m.height),
    el('td', {}, m.lag),
    el('td', { class: m.sync === 'syncing' ? 'bad' : '' }, m.sync.replace('_', ' ')))));
  $('forks').replaceChildren(...(v.forks.length ? v.forks.map((f) => el('li', { class: 'bad' },
    `${f.name} signed two blocks at height ${f.height}: `, el('code', {}, f.hashes.map(short).join(' ≠ ')), f.acknowledged ? ` — acknowledged: ${f.acknowledged.note}` : ' — not acknowledged')) : [el('li', { class: 'ok' }, 'No member is proven forked.')]));
  if (last) {
    const d = (k) => Math.max(0, v.counters[k] - last.counters[k]);
    trend.records.push(d('records_accepted')); trend.blocks.push(d('blocks_stored')); trend.sealed.push(d('blocks_sealed')); trend.queries.push(d('payment_lookups') + d('credit_queries'));
    for (const k of ['records', 'blocks', 'sealed', 'queries']) if (trend[k].length > WINDOW) trend[k].shift();
  }
  last = v;
  $('charts').dataset.points = trend.records.length;
  $('charts').replaceChildren(chart('Records accepted', trend.records), chart('Blocks stored', trend.blocks), chart('Blocks sealed here', trend.sealed), chart('Queries served', trend.queries));
  renderChainList(v);
}

function renderChainList(v) {
  $('chainlist').tBodies[0].replaceChildren(...v.members.map((m) => el('tr', { 'data-chain': m.peer_id },
    el('td', {}, el('button', { class: 'link', onclick: () => showBlocks(m.peer_id, 0) }, m.name), ' ', el('code', { class: 'hide-narrow' }, short(m.peer_id))),
    el('td', {}, m.height),
    el('td', {}, m.hash ? el('button', { class: 'link hash', onclick: () => showBlock(m.peer_id, m.height) }, short(m.hash)) : 'no blocks'))));
}

// Membership decisions (PROTOCOL.md 18): pending ones first.
function change(p) {
  switch (p.kind) {
    case 'admit': return `admit ${p.name} (${p.roles}) ${short(p.target)}`;
    case 'remove': return `remove ${nameOf(p.target)}`;
    case 'rotate': return `new key for ${nameOf(p.target)}: ${short(p.new_peer_id)}`;
    case 'param': return `set ${p.param} = ${p.value}`;
    default: return p.kind;
  }
}

function renderDecisions(m) {
  $('epoch').textContent = `Epoch ${m.epoch}: ${m.members.length} members; a proposal needs ${m.params.approvals_needed} approvals; activation delay ${m.params.activation_delay}.`;
  $('decisions').tBodies[0].replaceChildren(...m.proposals.map((p) => el('tr', { 'data-proposal': p.id, 'data-state': p.state },
    el('td', {}, el('code', {}, p.id)),
    el('td', {}, change(p)),
    el('td', {}, p.state + (p.state === 'pending' && p.passed ? ' (approved)' : '') + (p.why ? `: ${p.why}` : '')),
    el('td', { title: p.approvals.map(nameOf).join(', ') }, `${p.approvals.length} of ${p.needed}`),
    el('td', {}, when(p.activate_at)),
    el('td', {}, p.proposer_name || short(p.proposer)))));
}

async function poll() {
  try {
    view = await api('/v1/network');
    renderNetwork(view);
    renderDecisions(await api('/v1/membership'));
    if ($('error').dataset.from === 'poll') showError('');
  } catch (e) {
    showError(e.message);
    $('error').dataset.from = 'poll';
  }
  setTimeout(poll, 2000);
}

// Chains and blocks.
const nameOf = (peer) => view?.members.find((m) => m.peer_id === peer)?.name ?? short(peer);

async function showBlocks(issuer, before) {
  const out = $('blocks');
  try {
    const v = await api(`/v1/chains/${issuer}/blocks?limit=20${before ? `&before=${before}` : ''}`);
    const rows = v.blocks.map((b) => el('tr', {},
      el('td', {}, el('button', { class: 'link', onclick: () => showBlock(issuer, b.height) }, b.height)),
      el('td', {}, el('code', {}, short(b.hash))),
      el('td', {}, when(b.time)),
      el('td', {}, `${b.entries}: ` + Object.entries(b.kinds).map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', '))));
    const pager = el('p', {},
      before ? el('button', { onclick: () => showBlocks(issuer, 0) }, 'Newest') : '', ' ',
      v.next_before ? el('button', { onclick: () => showBlocks(issuer, v.next_before) }, 'Older') : '');
    out.replaceChildren(el('h2', { id: 'blocks-title' }, `Blocks of ${v.name} (head ${v.head})`),
      el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Height'), el('th', {}, 'Hash'), el('th', {}, 'Time'), el('th', {}, 'Entries'))), el('tbody', {}, rows))), pager);
    showError('');
  } catch (e) { showError(e.message); }
}

const enumName = (v, prefix) => String(v ?? '').replace(prefix, '').toLowerCase().replaceAll('_', ' ');

function summary(e) {
  const s = e.summary ?? {};
  switch (e.kind) {
    case 'payment': return ['sealed payment, lookup ', el('code', {}, s.lookup), ` (${s.sealed_bytes} sealed bytes)`];
    case 'credit_event': return `${enumName(s.kind, 'CREDIT_EVENT_KIND_')} ${s.event_id}, account ${s.account_id}, ${(s.amount_minor / 100).toFixed(2)} ${s.currency}, outstanding ${(s.outstanding_minor / 100).toFixed(2)}${s.days_overdue ? `, ${s.days_overdue} days overdue` : ''}, subject ${short(s.subject_ref)}`;
    case 'query_receipt': return `receipt of query ${s.query_id} by ${nameOf(s.querier)} (${enumName(s.purpose, 'QUERY_PURPOSE_')}), ${s.records_returned} records returned, fee ${s.fee_minor} ${s.fee_currency ?? ''}, at ${when(s.queried_at)}`;
    case 'correction': return `${enumName(s.action, 'CORRECTION_ACTION_')} of ${short(s.target_key)}: ${s.reason}`;
    case 'dispute': return `subject ${short(s.subject_ref)} disputes ${short(s.target_key)} of ${nameOf(s.issuer)}: “${s.statement}”`;
    case 'confirmation': return `confirms ${short(s.target_key)} against dispute ${s.dispute_id} of ${nameOf(s.disputer)}: ${s.reason}`;
    default: return e.kind;
  }
}

function renderBlock(b) {
  $('block').replaceChildren(el('h2', { id: 'block-title' }, `Block ${b.height} of ${nameOf(b.issuer)}`),
    el('dl', { class: 'kv' },
      el('dt', {}, 'Hash'), el('dd', { class: 'hash', 'data-hash': b.hash }, b.hash),
      el('dt', {}, 'Previous'), el('dd', { class: 'hash' }, b.prev_hash ?? '— (first block)'),
      el('dt', {}, 'Time'), el('dd', {}, when(b.time)),
      el('dt', {}, 'Entries root'), el('dd', { class: 'hash' }, b.entries_root),
      el('dt', {}, 'Issuer'), el('dd', { class: 'hash' }, b.issuer)),
    el('div', { class: 'scroll' }, el('table', { id: 'entries' }, el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'Kind'), el('th', {}, 'Key'), el('th', {}, 'What'))),
      el('tbody', {}, b.entries.map((e, i) => el('tr', {}, el('td', {}, i), el('td', {}, e.kind.replace('_', ' ')), el('td', {}, el('code', {}, short(e.key))), el('td', {}, summary(e))))))));
}

async function showBlock(issuer, height) {
  try { renderBlock(await api(`/v1/chains/${issuer}/blocks/${height}`)); showError(''); $('block-title').scrollIntoView?.(); } catch (e) { showError(e.message); }
}

async function search(q) {
  q = q.trim();
  try {
    const m = /^(12D3KooW\w+)[:\s/]+(\d+)$/.exec(q);
    if (m) return showBlock(m[1], m[2]);
    if (/^[0-9a-fA-F]{64}$/.test(q)) { renderBlock(await api(`/v1/blocks/${q.toLowerCase()}`)); showError(''); return; }
    if (/^0[1-5][0-9a-fA-F]+$/.test(q) && q.length % 2 === 0) {
      const v = await api(`/v1/entries/${q.toLowerCase()}`);
      $('block').replaceChildren(el('h2', {}, `Entry ${short(v.key)}`), el('ul', {}, v.entries.map((x) => el('li', {},
        `${x.name}, block `, el('button', { class: 'link', onclick: () => showBlock(x.issuer, x.height) }, x.height), `, entry ${x.index}: `, summary(x.entry)))));
      showError('');
      return;
    }
    showError('Type a block hash (64 hex digits), a peer ID and height (12D3KooW…:7), or an entry key (hex starting 01 to 05).');
  } catch (e) { showError(e.message); }
}

// Payment lookup, verified in this browser.
async function lookup(orderID, pinned) {
  const checks = $('checks'), verdict = $('verdict'), recs = $('records');
  checks.replaceChildren(); recs.replaceChildren();
  verdict.replaceChildren(el('p', {}, 'Fetching the genesis and the proofs…'));
  try {
    const genesis = await apiBytes('/v1/genesis');
    // The lookup hash from the genesis's network ID, not the peer's word.
    let networkID;
    try { networkID = (await readGenesis(genesis)).networkID; } catch (e) { throw new APIError(`The peer's genesis file does not read: ${e.message}`); }
    const { lookup: lk } = await derive(networkID, orderID);
    let answer;
    try {
      answer = await api(`/v1/proofs/${hex(lk)}`);
    } catch (e) {
      verdict.replaceChildren(el('p', { class: 'verdict' }, e.message));
      return;
    }
    const res = await verifyAnswer({ genesis, pinned, orderID, answer });
    checks.replaceChildren(...res.checks.map((c) => el('li', { class: c.ok ? 'ok' : 'bad', 'data-check': c.name, 'data-ok': c.ok },
      c.ok ? '✓ ' : '✗ ', el('span', { class: 'name' }, c.name), c.proof ? ` (proof ${c.proof})` : '', c.ok ? ' passed: ' : ' FAILED: ', c.detail)));
    const failed = res.checks.filter((c) => !c.ok).map((c) => c.name);
    let text;
    if (failed.length) text = `Rejected: the check${failed.length > 1 ? 's' : ''} ${failed.join(', ')} failed. Nothing of this answer is to be trusted.`;
    else if (res.forks.length) text = `Fork: ${res.forks.map((f) => f.name).join(', ')} signed two blocks at one height; its records are not to be relied on.`;
    else if (res.records.length > 1) text = `Conflict: ${res.records.length} issuers hold records under this order ID; none is to be preferred.`;
    else text = 'Verified in this browser against the genesis.';
    verdict.replaceChildren(el('p', { class: 'verdict ' + (failed.length ? 'bad' : 'ok'), id: 'verdict-text', 'data-ok': !failed.length }, text));
    if (!failed.length) {
      recs.replaceChildren(...res.records.map((r) => el('dl', { class: 'kv record' },
        ...[['Issuer', `${r.issuer_name}${r.forked ? ' (forked)' : ''}`], ['Block', `${r.height} ${r.block_hash}`], ['Order ID', r.order_id], ['Category', r.category],
          ['Amount', `${(Number(r.amount_minor) / 100).toFixed(2)} ${r.currency}`], ['Period', r.period], ['Paid at', r.paid_at.replace('T', ' ')],
          ['Channel', r.channel], ['Region', r.region], ['Item', r.item], ['Receipt', r.receipt_no]].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v || '—')]))));
    }
  } catch (e) {
    verdict.replaceChildren(el('p', { class: 'verdict bad' }, e.message));
  }
}

// Credit.
async function report(req) {
  const out = $('report');
  out.replaceChildren(el('p', {}, 'Asking every member with the credit role…'));
  try {
    const v = await api('/v1/report', req);
    const s = v.summary;
    const missing = v.members.filter((m) => m.outcome !== 'answered');
    out.replaceChildren(
      el('p', { id: 'report-summary' }, `Query ${v.query_id}: ${s.answered} of ${s.asked} members answered in ${v.elapsed_ms} ms. ${s.active_accounts} active accounts with ${s.active_lenders} lenders, outstanding ${money(s.outstanding_minor)}, worst ${s.worst_days_overdue} days overdue; ${s.lending_queriers_30d} lenders asked in 30 days.`),
      el('div', { class: 'scroll' }, el('table', { id: 'report-members' }, el('thead', {}, el('tr', {}, el('th', {}, 'Member'), el('th', {}, 'Answer'), el('th', {}, 'Latency'), el('th', {}, 'Records'), el('th', {}, 'Events'))),
        el('tbody', {}, v.members.map((m) => el('tr', { 'data-outcome': m.outcome },
          el('td', {}, m.name, m.forked ? el('span', { class: 'bad' }, ' forked') : ''),
          el('td', { class: m.outcome === 'answered' ? 'ok' : 'bad' }, m.outcome === 'answered' ? 'signed answer, verified' : `${m.outcome}${m.error ? ': ' + m.error : ''}`),
          el('td', {}, `${m.latency_ms} ms`), el('td', {}, `${m.records} on chain, ${m.private_records} private`),
          el('td', {}, (m.events ?? []).map((e) => el('div', {}, summary(e))))))))),
      el('p', { id: 'report-missing' }, missing.length ? `Did not answer: ${missing.map((m) => `${m.name} (${m.outcome})`).join(', ')}.` : 'Every member asked answered.'));
  } catch (e) { out.replaceChildren(el('p', { class: 'bad' }, e.message)); }
}

async function queries(subject) {
  const out = $('queries');
  try {
    const v = await api('/v1/subjects/queries', { subject });
    out.replaceChildren(el('p', {}, `Subject reference ${short(v.subject_ref)}: ${v.queries.length} query record(s).`),
      el('div', { class: 'scroll' }, el('table', { id: 'query-records' }, el('thead', {}, el('tr', {}, el('th', {}, 'When'), el('th', {}, 'Who asked'), el('th', {}, 'Why'), el('th', {}, 'Answered by'), el('th', {}, 'Records'))),
        el('tbody', {}, v.queries.map((q) => el('tr', {}, el('td', {}, when(q.queried_at)), el('td', {}, q.querier_name), el('td', {}, q.purpose.replaceAll('_', ' ')), el('td', {}, q.answerer_name), el('td', {}, q.records_returned)))))));
  } catch (e) { out.replaceChildren(el('p', { class: 'bad' }, e.message)); }
}

function billChart(lines) {
  const NS = 'http://www.w3.org/2000/svg', w = 480, row = 26, h = row * lines.length + 10;
  const nets = lines.map((l) => Object.values(l.net ?? {}).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...nets.map(Math.abs)), mid = 240;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`); svg.setAttribute('class', 'billchart');
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'Net fees per member: received to the right, paid to the left');
  lines.forEach((l, i) => {
    const v = nets[i], len = (Math.abs(v) / max) * (mid - 10);
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', v >= 0 ? mid : mid - len); r.setAttribute('y', 5 + i * row); r.setAttribute('width', Math.max(1, len)); r.setAttribute('height', row - 8);
    r.setAttribute('fill', v >= 0 ? '#176f2c' : '#b3261e');
    const t = document.createElementNS(NS, 'text');
    t.setAttribute('x', v >= 0 ? mid - 4 : mid + 4); t.setAttribute('y', 5 + i * row + row / 2); t.setAttribute('font-size', '12');
    t.setAttribute('text-anchor', v >= 0 ? 'end' : 'start'); t.textContent = `${l.name} ${(v / 100).toFixed(2)}`;
    svg.append(r, t);
  });
  return svg;
}

async function billing(period) {
  const out = $('billing');
  try {
    const v = await api(`/v1/billing?period=${encodeURIComponent(period)}`);
    out.replaceChildren(
      el('div', { class: 'scroll' }, el('table', { id: 'billing-lines' }, el('thead', {}, el('tr', {}, el('th', {}, 'Member'), el('th', {}, 'Queries made'), el('th', {}, 'Served'), el('th', {}, 'Payable'), el('th', {}, 'Receivable'), el('th', {}, 'Net'))),
        el('tbody', {}, v.lines.map((l) => el('tr', {}, el('td', {}, l.name), el('td', {}, l.queries_made), el('td', {}, l.queries_served), el('td', {}, money(l.payable)), el('td', {}, money(l.receivable)), el('td', {}, money(l.net))))))),
      el('p', {}, `Totals for ${v.period}: payable ${money(v.total_payable)}, receivable ${money(v.total_receivable)}.`),
      v.lines.length ? billChart(v.lines) : el('p', {}, 'No queries in this month.'));
  } catch (e) { out.replaceChildren(el('p', { class: 'bad' }, e.message)); }
}

async function start() {
  tabs();
  $('tokenform').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN, $('token').value);
    $('token').value = '';
    $('tokenform').hidden = true;
    showError('');
    if (!polling) { polling = true; poll(); }
  });
  $('search').addEventListener('submit', (e) => { e.preventDefault(); search($('q').value); });
  $('pinned').value = localStorage.getItem(PIN) ?? '';
  $('lookupform').addEventListener('submit', (e) => {
    e.preventDefault();
    const pin = $('pinned').value.trim().toLowerCase();
    if (pin) localStorage.setItem(PIN, pin); else localStorage.removeItem(PIN);
    lookup($('order').value.trim(), pin);
  });
  $('reportform').addEventListener('submit', (e) => {
    e.preventDefault();
    report({ subject: { kind: $('kind').value, id: $('sid').value.trim() }, purpose: $('purpose').value, consent_ref: $('consent').value.trim() });
  });
  $('qrform').addEventListener('submit', (e) => { e.preventDefault(); queries({ kind: $('qrkind').value, id: $('qrid').value.trim() }); });
  $('period').value = new Date().toISOString().slice(0, 7);
  $('billform').addEventListener('submit', (e) => { e.preventDefault(); billing($('period').value.trim()); });
  let cfg = { token_required: false };
  try { cfg = await (await fetch('/explorer/config.json')).json(); } catch { /* an older peer: try without */ }
  if (cfg.token_required && !sessionStorage.getItem(TOKEN)) {
    $('tokenform').hidden = false;
    showError('This peer needs its API token (api.token of its config.toml): type it above. It is kept in this tab only.');
    $('token').focus();
    return;
  }
  polling = true;
  poll();
}

let polling = false;
start();
