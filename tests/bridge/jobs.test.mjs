// The bridge's job API with independent clients (fetch, ws, eventsource)
// against the ssekit-bridge daemon, with ssekit's replay server as the
// upstream. Expected values come from the transcript files themselves.
// usage: node jobs.test.mjs PATH/TO/ssekit-bridge PATH/TO/ssekit SRC_DIR DIR_WITH_node_modules
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { loadClients, check, stats, sleep, until as untilEvery, startServer, stopServer } from './helpers.mjs';

const [bridgeBin, ssekitBin, src, mods] = process.argv.slice(2);
const { WebSocket, EventSource } = loadClients(mods);
const until = (pred, what, ms = 15000) => untilEvery(pred, what, ms, 10);

// ---- expected values, from the transcripts ------------------------------------
function sseData(name) {
  const text = readFileSync(path.join(src, 'demos/transcripts', `${name}.sse`), 'utf8');
  return text.split(/\r?\n/).filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
}
function openaiTranscript() {
  let content = '', usage = null;
  for (const d of sseData('openai_chat_structured')) {
    if (d === '[DONE]') continue;
    const j = JSON.parse(d);
    for (const c of j.choices ?? []) content += c.delta?.content ?? '';
    if (j.usage) usage = { input_tokens: j.usage.prompt_tokens, output_tokens: j.usage.completion_tokens };
  }
  return { content, value: JSON.parse(content), usage };
}
function anthropicValue() {
  let args = '';
  for (const d of sseData('anthropic_tool_use')) {
    const j = JSON.parse(d);
    if (j.type === 'content_block_delta' && j.delta?.type === 'input_json_delta') args += j.delta.partial_json;
  }
  return JSON.parse(args);
}
const OPENAI = openaiTranscript();
const SCHEMA = JSON.parse(readFileSync(path.join(src, 'demos/transcripts/review.schema.json'), 'utf8'));

// The patch applier of lib/include/ssekit/partial_json.h.
function applyPatch(doc, p) {
  const seg = p.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (p.op === 'complete') return;
  if (seg.length === 0) { if (p.op === 'add') doc.root = structuredClone(p.value); else doc.root += p.text; return; }
  let parent = doc.root;
  for (const s of seg.slice(0, -1)) parent = parent[s];
  const last = seg[seg.length - 1];
  if (p.op === 'add') parent[last] = structuredClone(p.value); else parent[last] += p.text;
}

// ---- processes -------------------------------------------------------------------
// The replay server and the bridge, with no provider key or base URL from
// this environment.
const startProc = (bin, args) => startServer(bin, args,
  { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' });

const TOKEN = 'job-t0ken';
const auth = { authorization: `Bearer ${TOKEN}` };
async function api(b, method, p, body, headers = {}) {
  const r = await fetch(`${b.url}${p}`, {
    method, headers: { ...auth, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}
const replayUrl = (rp, q) => `${rp.url}/v1/chat/completions${q ? `?${q}` : ''}`;
const job = (over) => ({ provider: 'openai', model: 'gpt-4o', prompt: 'Triage this review.', schema: SCHEMA, ...over });

// A channel follower: SSE (eventsource) or WebSocket, with the messages in order.
function follow(b, id, kind) {
  const c = { msgs: [], ctl: [], errors: 0, closed: false };
  if (kind === 'sse') {
    c.es = new EventSource(`${b.url}/v1/streams/${id}/events?token=${TOKEN}`);
    c.es.onmessage = (e) => c.msgs.push(JSON.parse(e.data));
    c.es.onerror = () => { c.errors++; };
    c.close = () => c.es.close();
  } else {
    c.ws = new WebSocket(`${b.ws}/v1/ws?token=${TOKEN}`);
    c.ws.on('open', () => c.ws.send(JSON.stringify({ op: 'subscribe', channel: id, since: 0 })));
    c.ws.on('message', (d) => { const m = JSON.parse(d.toString()); (m.seq !== undefined ? c.msgs : c.ctl).push(m); });
    c.ws.on('close', () => { c.closed = true; });
    c.ws.on('error', () => {});
    c.close = () => c.ws.close();
  }
  c.terminal = () => c.msgs.some((m) => m.type === 'done' || m.type === 'error' || (m.type === 'snapshot' && (m.done || m.error)));
  return c;
}

// What a follower saw, rebuilt: text, value from the patches, the done value,
// the progress messages; and whether the sequence numbers have no gap.
function replayChannel(msgs) {
  const r = { text: '', doc: { root: undefined }, done: null, error: null, progress: [], gapless: true, usage: null };
  let next = 1;
  for (const m of msgs) {
    if (m.type === 'snapshot') {
      if (m.seq < next - 1) r.gapless = false;
      next = m.seq + 1;
      r.text = m.text ?? '';
      r.doc = { root: undefined };
      for (const p of m.patches ?? []) applyPatch(r.doc, p);
      if (m.progress) r.progress.push(m.progress);
      if (m.usage) r.usage = m.usage;
      if (m.done) r.done = m.done;
      if (m.error) r.error = m.error;
      continue;
    }
    if (m.seq !== next) r.gapless = false;
    next = m.seq + 1;
    if (m.type === 'delta') r.text += m.text;
    else if (m.type === 'patch') for (const p of m.patches) applyPatch(r.doc, p);
    else if (m.type === 'progress') r.progress.push(m);
    else if (m.type === 'usage') r.usage = { input_tokens: m.input_tokens, output_tokens: m.output_tokens };
    else if (m.type === 'done') r.done = m;
    else if (m.type === 'error') r.error = m;
  }
  return r;
}

const STAGES = ['queued', 'connecting', 'streaming', 'validating', 'done', 'failed', 'canceled'];
function monotonic(list, key) {
  for (let i = 1; i < list.length; i++) if (key(list[i]) < key(list[i - 1])) return false;
  return true;
}

// ---- the tests ---------------------------------------------------------------------

async function testPublicAndAuth(b) {
  const h = await fetch(`${b.url}/healthz`);
  check(h.status === 200 && (await h.text()) === 'ok', 'GET /healthz -> 200 "ok" without a token');
  const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  const files = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
  const types = { 'index.html': 'text/html', 'app.js': 'text/javascript', 'style.css': 'text/css' };
  for (const [p, f] of Object.entries(files)) {
    const r = await fetch(`${b.url}${p}`);
    const body = Buffer.from(await r.arrayBuffer());
    const want = readFileSync(path.join(src, 'bridge/web', f));
    check(r.status === 200, `GET ${p} -> 200 without a token (got ${r.status})`);
    check(body.equals(want), `GET ${p} serves bridge/web/${f} byte for byte`);
    check((r.headers.get('content-type') ?? '').startsWith(types[f]), `GET ${p} content-type ${types[f]} (got ${r.headers.get('content-type')})`);
    check(r.headers.get('content-security-policy') === CSP, `GET ${p} carries the CSP header (got ${r.headers.get('content-security-policy')})`);
  }
  const nope = await api(b, 'GET', '/nope.js');
  check(nope.status === 404, `unknown file -> 404 (got ${nope.status})`);

  for (const [m, p] of [['GET', '/v1/streams'], ['POST', '/v1/streams'], ['GET', '/v1/streams/job-x'], ['GET', '/v1/streams/job-x/result'], ['DELETE', '/v1/streams/job-x'], ['GET', '/metrics']]) {
    const r = await fetch(`${b.url}${p}`, { method: m, body: m === 'POST' ? '{}' : undefined });
    check(r.status === 401, `${m} ${p} without the token -> 401 (got ${r.status})`);
  }
  const wrong = await fetch(`${b.url}/v1/streams`, { headers: { authorization: 'Bearer nope' } });
  check(wrong.status === 401, 'wrong token -> 401');
  const q = await fetch(`${b.url}/v1/streams?token=${TOKEN}`);
  check(q.status === 200, '?token= works for the job API');
  const unknown = await api(b, 'GET', '/v1/streams/job-0000000000000000');
  check(unknown.status === 404, `unknown job -> 404 (got ${unknown.status})`);
}

async function testBadBodies(b, rp) {
  const cases = [
    ['not JSON', '{"provider": "openai", ', 400],
    ['not an object', '[1,2]', 400],
    ['unknown provider', { ...job({ base_url: `${rp.url}/v1` }), provider: 'gemini' }, 400],
    ['no provider', { model: 'm', prompt: 'p' }, 400],
    ['no model', { provider: 'openai', prompt: 'p', base_url: `${rp.url}/v1` }, 400],
    ['no prompt or messages', { provider: 'openai', model: 'm', base_url: `${rp.url}/v1` }, 400],
    ['schema not an object', job({ base_url: `${rp.url}/v1`, schema: 'x' }), 400],
    ['schema that does not compile', job({ base_url: `${rp.url}/v1`, schema: { type: 'bogus' } }), 400],
    ['messages without content', { provider: 'openai', model: 'm', messages: [{ role: 'user' }], base_url: `${rp.url}/v1` }, 400],
    ['bad max_tokens', job({ base_url: `${rp.url}/v1`, max_tokens: -3 }), 400],
    ['raw without url', { provider: 'raw' }, 400],
    ['non-loopback endpoint, no key', job({ base_url: 'https://api.example.com/v1' }), 400],
    ['oversized body', job({ base_url: `${rp.url}/v1`, prompt: 'x'.repeat(70 * 1024) }), 413],
  ];
  for (const [what, body, want] of cases) {
    const r = await api(b, 'POST', '/v1/streams', body);
    check(r.status === want && typeof r.json?.error === 'string', `${what} -> ${want} {"error"} (got ${r.status} ${r.text.slice(0, 120)})`);
  }
  const list = await api(b, 'GET', '/v1/streams');
  check(list.status === 200 && list.json.streams.length === 0, 'no job was created by the bad bodies');
}

// The main path: a paced OpenAI structured stream, followed over SSE and WS,
// status polled until done.
async function testHappyPath(b, rp) {
  const sub = await api(b, 'POST', '/v1/streams', job({ url: replayUrl(rp, 'fault=delay-ms%3D15') }));
  check(sub.status === 201, `POST /v1/streams -> 201 (got ${sub.status} ${sub.text})`);
  const id = sub.json.id;
  check(/^[A-Za-z0-9._:-]{1,128}$/.test(id) && sub.json.channel === id && sub.json.stage === 'queued', `201 body {id, channel = id, stage queued}: ${sub.text}`);
  const sse = follow(b, id, 'sse'), ws = follow(b, id, 'ws');
  const seen = [];
  let notDone404 = 0, wrong = 0;
  for (;;) {
    const s = await api(b, 'GET', `/v1/streams/${id}`);
    if (s.status !== 200) { wrong++; break; }
    seen.push(s.json);
    if (['done', 'failed', 'canceled'].includes(s.json.stage)) break;
    const r = await api(b, 'GET', `/v1/streams/${id}/result`);
    // the job may finish between the two requests
    if (r.status === 404) notDone404++;
    else if (r.status !== 200) wrong++;
    await sleep(40);
  }
  const last = seen[seen.length - 1];
  check(wrong === 0, 'status and result answer 200/404 while running');
  check(last.stage === 'done', `the job ends done (got ${JSON.stringify(last)})`);
  check(notDone404 >= 3, `result is 404 before done (seen ${notDone404} times)`);
  check(seen.some((s) => s.stage === 'streaming'), 'status shows the streaming stage');
  check(monotonic(seen, (s) => STAGES.indexOf(s.stage)), `stages never go back: ${seen.map((s) => s.stage).join(',')}`);
  check(monotonic(seen, (s) => s.progress), `status progress is monotonic: ${seen.map((s) => s.progress).join(',')}`);
  check(seen.some((s) => s.progress > 0 && s.progress < 100), 'progress is seen between 0 and 100');
  check(last.progress === 100, 'progress 100 when done');
  check(isDeepStrictEqual(last.usage, OPENAI.usage), `usage from the transcript ${JSON.stringify(OPENAI.usage)} (got ${JSON.stringify(last.usage)})`);
  check(last.id === id && last.provider === 'openai' && last.model === 'gpt-4o' && last.retries === 0 && last.error === null, `status fields: ${JSON.stringify(last)}`);
  check(typeof last.created_ms === 'number' && last.updated_ms >= last.created_ms && Math.abs(Date.now() - last.created_ms) < 60000, 'created_ms / updated_ms are wall-clock ms');

  const res = await api(b, 'GET', `/v1/streams/${id}/result`);
  check(res.status === 200 && isDeepStrictEqual(res.json, OPENAI.value), 'result = the final JSON of the transcript');

  await until(() => sse.terminal() && ws.terminal(), 'both followers see the end');
  for (const [name, f] of [['SSE', sse], ['WS', ws]]) {
    const r = replayChannel(f.msgs);
    check(r.gapless, `${name}: sequence numbers without a gap`);
    check(f.msgs[0].type !== 'progress' || f.msgs[0].seq !== 1 || f.msgs[0].stage === 'queued', `${name}: the first message is the queued progress`);
    check(f.msgs.filter((m) => m.type === 'delta').length > 20, `${name}: many delta messages (streamed, not one block)`);
    check(r.text === OPENAI.content, `${name}: the delta texts make the transcript's content`);
    check(isDeepStrictEqual(r.doc.root, OPENAI.value), `${name}: the patches build the final value`);
    check(r.done && isDeepStrictEqual(r.done.value, OPENAI.value) && r.done.finish_reason === 'stop', `${name}: done carries the value and finish_reason`);
    check(isDeepStrictEqual(r.usage, OPENAI.usage), `${name}: usage message`);
    check(monotonic(r.progress, (p) => p.progress) && monotonic(r.progress, (p) => STAGES.indexOf(p.stage)), `${name}: progress messages monotonic in stage and percent`);
    const stages = new Set(r.progress.map((p) => p.stage));
    for (const st of ['queued', 'connecting', 'streaming', 'validating', 'done']) check(stages.has(st), `${name}: a progress message with stage ${st}`);
    f.close();
  }
  return id;
}

async function testIdempotency(b, rp) {
  const body = job({ base_url: `${rp.url}/v1` });
  const a = await api(b, 'POST', '/v1/streams', body, { 'Idempotency-Key': 'order-17' });
  const a2 = await api(b, 'POST', '/v1/streams', body, { 'Idempotency-Key': 'order-17' });
  const c = await api(b, 'POST', '/v1/streams', body, { 'Idempotency-Key': 'order-18' });
  check(a.status === 201 && a2.status === 200, `repeated Idempotency-Key: 201 then 200 (got ${a.status}, ${a2.status})`);
  check(a.json.id === a2.json.id, 'the same key returns the same id');
  check(c.status === 201 && c.json.id !== a.json.id, 'another key, another job');
  const list = await api(b, 'GET', '/v1/streams');
  check(list.json.streams.filter((s) => s.id === a.json.id).length === 1, 'one job for the repeated key');
  check(list.json.streams[0].id === c.json.id, 'GET /v1/streams lists the newest first');
  await until(async () => (await api(b, 'GET', `/v1/streams/${c.json.id}/result`)).status === 200, 'idempotent jobs finish');
  const ra = await api(b, 'GET', `/v1/streams/${a.json.id}/result`);
  check(ra.status === 200 && isDeepStrictEqual(ra.json, OPENAI.value), 'idempotent job result');
}

async function testAnthropic(b, rp) {
  const want = anthropicValue();
  const sub = await api(b, 'POST', '/v1/streams', { provider: 'anthropic', model: 'claude-x', prompt: 'Triage.', schema: SCHEMA, base_url: rp.url });
  check(sub.status === 201, `anthropic job accepted (got ${sub.status} ${sub.text})`);
  const sse = follow(b, sub.json.id, 'sse');
  await until(async () => (await api(b, 'GET', `/v1/streams/${sub.json.id}/result`)).status !== 404, 'anthropic job ends');
  const res = await api(b, 'GET', `/v1/streams/${sub.json.id}/result`);
  check(res.status === 200 && isDeepStrictEqual(res.json, want), 'anthropic (forced tool) result = the tool input of the transcript');
  await until(() => sse.terminal(), 'anthropic follower end');
  const r = replayChannel(sse.msgs);
  check(isDeepStrictEqual(r.doc.root, want), 'anthropic: the patches build the tool input');
  sse.close();
}

// A raw SSE stream: each event's data is a piece of the text (multi-line
// data joined by "\n", as a WHATWG parser does).
function rawText(name) {
  const text = readFileSync(path.join(src, 'demos/transcripts', `${name}.sse`), 'utf8');
  let out = '';
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
    if (data.length) out += data.join('\n');
  }
  return out;
}

async function testRaw(b, rp) {
  const want = rawText('raw_deploy');
  const sub = await api(b, 'POST', '/v1/streams', { provider: 'raw', url: `${rp.url}/v1/raw/raw_deploy` });
  check(sub.status === 201, `raw job accepted (got ${sub.status} ${sub.text})`);
  const ws = follow(b, sub.json.id, 'ws');
  await until(async () => (await api(b, 'GET', `/v1/streams/${sub.json.id}/result`)).status !== 404, 'raw job ends');
  const res = await api(b, 'GET', `/v1/streams/${sub.json.id}/result`);
  check(res.status === 200 && res.json === want, `raw result = the events' data as one JSON string (got ${res.status} ${res.text.slice(0, 80)})`);
  const st = await api(b, 'GET', `/v1/streams/${sub.json.id}`);
  check(st.json.provider === 'raw' && st.json.model === null && st.json.stage === 'done', `raw status: ${st.text}`);
  await until(() => ws.terminal(), 'raw follower end');
  const r = replayChannel(ws.msgs);
  check(r.text === want, 'raw: the deltas make the text');
  check(r.done && r.done.value === null && r.done.text === want, 'raw: done carries the text, value null');
  ws.close();
}

async function testSchemaFailure(b, rp) {
  // The transcript's answer has confidence 0.87 and language "en": this
  // schema wants confidence <= 0.5 and an upper-case language.
  const strict = structuredClone(SCHEMA);
  strict.properties.confidence.maximum = 0.5;
  strict.properties.language.pattern = '^[A-Z]{2}$';
  check(OPENAI.value.confidence > 0.5 && !/^[A-Z]{2}$/.test(OPENAI.value.language), 'the transcript violates the strict schema (precondition)');
  const sub = await api(b, 'POST', '/v1/streams', job({ base_url: `${rp.url}/v1`, schema: strict }));
  check(sub.status === 201, 'strict job accepted');
  const ws = follow(b, sub.json.id, 'ws');
  await until(async () => ['failed', 'done'].includes((await api(b, 'GET', `/v1/streams/${sub.json.id}`)).json.stage), 'strict job ends');
  const st = await api(b, 'GET', `/v1/streams/${sub.json.id}`);
  check(st.json.stage === 'failed' && st.json.error?.category === 'schema', `schema failure: stage failed, error.category schema (got ${st.text})`);
  const res = await api(b, 'GET', `/v1/streams/${sub.json.id}/result`);
  check(res.status === 422 && res.json.error === 'schema', `result -> 422 {"error":"schema"} (got ${res.status})`);
  const paths = (res.json?.violations ?? []).map((v) => v.path).sort();
  check(isDeepStrictEqual(paths, ['/confidence', '/language']), `violations at /confidence and /language (got ${JSON.stringify(res.json?.violations)})`);
  check(res.json?.violations?.every((v) => typeof v.keyword === 'string' && typeof v.message === 'string'), 'violations have keyword and message');
  check(res.json?.raw === OPENAI.content, 'the 422 carries the raw output');
  await until(() => ws.terminal(), 'strict follower end');
  const r = replayChannel(ws.msgs);
  check(r.error?.category === 'schema' && Array.isArray(r.error.violations) && r.error.violations.length === 2, `the channel gets error {category schema, violations} (got ${JSON.stringify(r.error)})`);
  ws.close();
}

async function replayLog(rp, key) {
  const r = await fetch(`${rp.url}/v1/replay/requests?key=${key}`);
  const j = await r.json();
  return Array.isArray(j) ? j : j.requests ?? [];
}

async function testCancel(b, rp) {
  const sub = await api(b, 'POST', '/v1/streams', job({ url: replayUrl(rp, 'fault=delay-ms%3D100&key=cancel-1') }));
  const id = sub.json.id;
  const sse = follow(b, id, 'sse');
  await until(() => sse.msgs.filter((m) => m.type === 'delta').length >= 5, 'a few deltas before the cancel');
  const log0 = await replayLog(rp, 'cancel-1');
  check(log0.length === 1 && log0[0].end === 'open', `upstream open before the cancel (log ${JSON.stringify(log0.map((e) => e.end))})`);
  const del = await api(b, 'DELETE', `/v1/streams/${id}`);
  check(del.status === 200 && del.json.stage === 'canceled', `DELETE -> 200 with stage canceled (got ${del.status} ${del.text})`);
  const t0 = Date.now();
  let log = [];
  await until(async () => { log = await replayLog(rp, 'cancel-1'); return log[0]?.end !== 'open'; }, 'the upstream to stop', 5000);
  check(log[0].end === 'client-gone', `the upstream transfer was closed by the bridge (end ${log[0].end})`);
  check(Date.now() - t0 < 3000, `the upstream stopped within 3 s of the DELETE (${Date.now() - t0} ms)`);
  check(log[0].events < 100, `the upstream stopped early (${log[0].events} of 176 events)`);
  await until(() => sse.terminal(), 'cancel follower end');
  const r = replayChannel(sse.msgs);
  check(r.error?.category === 'canceled', `the channel gets error canceled (got ${JSON.stringify(r.error)})`);
  const res = await api(b, 'GET', `/v1/streams/${id}/result`);
  check(res.status === 409, `result of a canceled job -> 409 (got ${res.status})`);
  await sleep(300);
  const st = await api(b, 'GET', `/v1/streams/${id}`);
  check(st.json.stage === 'canceled', 'stage stays canceled');
  const again = await api(b, 'DELETE', `/v1/streams/${id}`);
  check(again.status === 200 && again.json.stage === 'canceled', 'a second DELETE is harmless');
  check((await replayLog(rp, 'cancel-1')).length === 1, 'the canceled job made no new upstream request');
  sse.close();
}

function metricValue(text, name) {
  const m = text.match(new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

async function testMetrics(b, expectSubmitted) {
  const r = await api(b, 'GET', '/metrics');
  check(r.status === 200 && (r.headers.get('content-type') ?? '').startsWith('text/plain'), 'GET /metrics -> 200 text/plain');
  const t = r.text;
  check(metricValue(t, 'ssekit_bridge_jobs_submitted_total') === expectSubmitted, `jobs_submitted_total ${expectSubmitted} (got ${metricValue(t, 'ssekit_bridge_jobs_submitted_total')})`);
  check(metricValue(t, 'ssekit_bridge_jobs_finished_total{stage="canceled"}') === 1, 'one canceled job counted');
  check(metricValue(t, 'ssekit_bridge_jobs_finished_total{stage="failed"}') === 1, 'one failed job counted');
  check(metricValue(t, 'ssekit_bridge_jobs_finished_total{stage="done"}') === expectSubmitted - 2, 'the others done');
  check(metricValue(t, 'ssekit_bridge_jobs{stage="done"}') === expectSubmitted - 2, 'jobs{stage="done"} gauge');
  for (const n of ['ssekit_bridge_clients', 'ssekit_bridge_channels', 'ssekit_bridge_messages_total', 'ssekit_bridge_message_bytes_total', 'ssekit_bridge_jobs_rejected_total', 'ssekit_bridge_jobs_expired_total'])
    check(metricValue(t, n) !== undefined, `metric ${n} present`);
  check(metricValue(t, 'ssekit_bridge_channels') === expectSubmitted, 'one channel per job');
  check(metricValue(t, 'ssekit_bridge_messages_total') > 400, 'messages counted');
  check(/# TYPE ssekit_bridge_jobs_submitted_total counter/.test(t), 'Prometheus TYPE lines');
}

async function testTtlAndLimit(rp) {
  const b = await startProc(bridgeBin, ['--listen', '127.0.0.1:0', '--token', TOKEN, '--job-ttl', '1', '--max-jobs', '2']);
  try {
    const a = await api(b, 'POST', '/v1/streams', job({ base_url: `${rp.url}/v1` }));
    const slow = await api(b, 'POST', '/v1/streams', job({ url: replayUrl(rp, 'fault=delay-ms%3D50') }));
    const third = await api(b, 'POST', '/v1/streams', job({ base_url: `${rp.url}/v1` }));
    check(a.status === 201 && slow.status === 201, 'two jobs accepted under --max-jobs 2');
    check(third.status === 429 && third.json?.error, `a third job -> 429 (got ${third.status})`);
    const ws = follow(b, a.json.id, 'ws');
    await until(async () => (await api(b, 'GET', `/v1/streams/${a.json.id}/result`)).status === 200, 'the fast job is done');
    const done = Date.now();
    await until(() => ws.terminal(), 'ttl follower sees the end');
    await until(async () => (await api(b, 'GET', `/v1/streams/${a.json.id}`)).status === 404, 'the job expires', 5000);
    const after = Date.now() - done;
    check(after >= 700 && after < 5000, `the job expired about job_ttl (1 s) after it finished (${after} ms)`);
    check((await api(b, 'GET', `/v1/streams/${a.json.id}/result`)).status === 404, 'an expired result -> 404');
    check(!(await api(b, 'GET', '/v1/streams')).json.streams.some((s) => s.id === a.json.id), 'an expired job leaves the list');
    await until(() => ws.ctl.some((m) => m.type === 'unsubscribed' && m.channel === a.json.id), 'the expired channel is dropped for its subscriber', 5000);
    const m = (await api(b, 'GET', '/metrics')).text;
    check(metricValue(m, 'ssekit_bridge_jobs_expired_total') === 1, 'jobs_expired_total 1');
    check(metricValue(m, 'ssekit_bridge_jobs_rejected_total') === 1, 'jobs_rejected_total 1');
    // the room of the expired job is free again
    const fourth = await api(b, 'POST', '/v1/streams', job({ base_url: `${rp.url}/v1` }));
    check(fourth.status === 201, `after the expiry a new job fits (got ${fourth.status})`);
    ws.close();
  } finally { await stopServer(b, 'bridge (ttl)'); }
}

async function testNoJobs() {
  const b = await startProc(bridgeBin, ['--listen', '127.0.0.1:0', '--no-jobs']);
  try {
    const r = await fetch(`${b.url}/v1/streams`, { method: 'POST', body: '{}' });
    check(r.status === 404, `--no-jobs: POST /v1/streams -> 404 (got ${r.status})`);
    check((await fetch(`${b.url}/healthz`)).status === 200, '--no-jobs: healthz still 200');
    const m = await (await fetch(`${b.url}/metrics`)).text();
    check(metricValue(m, 'ssekit_bridge_jobs_enabled') === 0, '--no-jobs: metrics say jobs off');
  } finally { await stopServer(b, 'bridge (no jobs)'); }
}

const rp = await startProc(ssekitBin, ['replay', '--listen', '127.0.0.1:0']);
const b = await startProc(bridgeBin, ['--listen', '127.0.0.1:0', '--token', TOKEN]);
try {
  const tests = [
    ['public files, healthz, auth', () => testPublicAndAuth(b)],
    ['bad bodies', () => testBadBodies(b, rp)],
    ['submit, follow, result', () => testHappyPath(b, rp)],
    ['idempotency', () => testIdempotency(b, rp)],
    ['anthropic', () => testAnthropic(b, rp)],
    ['raw', () => testRaw(b, rp)],
    ['schema failure', () => testSchemaFailure(b, rp)],
    ['cancel', () => testCancel(b, rp)],
    // happy 1 + idempotency 2 + anthropic 1 + raw 1 + schema 1 + cancel 1
    ['metrics', () => testMetrics(b, 7)],
    ['ttl and max-jobs', () => testTtlAndLimit(rp)],
    ['no jobs', () => testNoJobs()],
  ];
  for (const [name, fn] of tests) {
    const before = stats.failures;
    const t0 = Date.now();
    try { await fn(); } catch (e) { stats.failures++; console.log(`FAIL: ${name}: ${e.stack}`); }
    console.log(`${stats.failures === before ? 'ok' : 'not ok'} - ${name} (${Date.now() - t0} ms)`);
  }
} finally {
  await stopServer(b, 'bridge');
  await stopServer(rp, 'replay server');
}
console.log(`${stats.checks} checks, ${stats.failures} failures`);
process.exit(stats.failures ? 1 : 0);
