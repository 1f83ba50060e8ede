// Protocol tests of ssekit-bridge with independent clients (ws, eventsource).
// usage: node bridge.test.mjs PATH/TO/ssekit-bridge DIR_WITH_node_modules
import {
  loadClients, check, sleep, until, startBridge, stopBridge, rssKiB, publish, wsClient, gapless, runAll,
} from './helpers.mjs';

const [bin, mods] = process.argv.slice(2);
const { WebSocket, EventSource } = loadClients(mods);

function sseClient(b, channel, { token, lastEventId } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
  const es = new EventSource(`${b.url}/v1/streams/${channel}/events`, { headers });
  const c = { es, msgs: [], errors: [], lastEventIds: [] };
  es.onmessage = (e) => { c.msgs.push(JSON.parse(e.data)); c.lastEventIds.push(e.lastEventId); };
  es.onerror = (e) => { c.errors.push(e.status ?? 'error'); };
  return c;
}

const deltas = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => ({ type: 'delta', text: `t${from + i};` }));

const TOKEN = 's3cret-token';
const ORIGIN = 'http://dash.example';

async function testAuthOriginLimits() {
  const b = await startBridge(bin, ['--token', TOKEN, '--origin', ORIGIN, '--publish-endpoint', '--max-message', '1024']);
  try {
    check((await fetch(`${b.url}/healthz`)).status === 200, 'healthz 200');
    check((await fetch(`${b.url}/v1/streams/x/events`)).status === 401, 'SSE without token -> 401');
    check((await fetch(`${b.url}/v1/streams/x/events`, { headers: { authorization: 'Bearer s3cret-tokeX' } })).status === 401, 'SSE with wrong token -> 401');
    check((await publish(b, 'x', [{ type: 'delta', text: 'a' }])).status === 401, 'publish without token -> 401');
    check((await fetch(`${b.url}/v1/streams/x/events`, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })).status === 403, 'SSE from a foreign origin -> 403');

    const noTok = wsClient(WebSocket, b, {});
    const badOrigin = wsClient(WebSocket, b, { token: TOKEN, origin: 'http://evil.example' });
    const okOrigin = wsClient(WebSocket, b, { token: TOKEN, origin: ORIGIN, channel: 'x' });
    const viaProto = wsClient(WebSocket, b, { protocols: ['ssekit.v1', `bearer.${TOKEN}`], channel: 'x' });
    await until(() => noTok.refused && badOrigin.refused && okOrigin.ctl.length && viaProto.ctl.length, 'ws auth results');
    check(noTok.refused === 401, `WS without token refused with 401 (got ${noTok.refused})`);
    check(badOrigin.refused === 403, `WS from a foreign origin refused with 403 (got ${badOrigin.refused})`);
    check(okOrigin.ctl[0].type === 'subscribed', 'WS with ?token= and allowed origin subscribes');
    check(viaProto.ctl[0].type === 'subscribed' && viaProto.ws.protocol === 'ssekit.v1', 'WS token as subprotocol bearer.T');

    viaProto.ws.send(JSON.stringify({ op: 'ping' }));
    viaProto.ws.send('not json');
    await until(() => viaProto.ctl.length >= 3, 'pong + protocol_error');
    check(viaProto.ctl[1].type === 'pong', 'ping -> pong');
    check(viaProto.ctl[2].type === 'protocol_error', 'garbage -> protocol_error, connection stays');

    okOrigin.ws.send('x'.repeat(4096));
    await until(() => okOrigin.closed, 'close after oversized message');
    check(okOrigin.closed.code === 1009, `oversized inbound message -> close 1009 (got ${okOrigin.closed.code})`);
    for (const c of [viaProto]) c.ws.close();
  } finally { await stopBridge(b); }
}

async function testOrderResumeSnapshot() {
  const b = await startBridge(bin, ['--publish-endpoint', '--history', '64', '--backlog', '48']);
  try {
    const N = 200, BATCH = 10;
    const w = wsClient(WebSocket, b, { channel: 's1' });
    const s = sseClient(b, 's1');
    await until(() => w.ctl.length && s.es.readyState === 1, 'subscribers ready');
    // the victim is killed mid-stream and resumes with since
    const victim = wsClient(WebSocket, b, { channel: 's1' });
    await until(() => victim.ctl.length, 'victim ready');
    let killedAt = -1;
    for (let i = 1; i <= N; i += BATCH) {
      const r = await publish(b, 's1', deltas(i, i + BATCH - 1));
      check(r.status === 200 && r.body.seq === i + BATCH - 1, `publish batch -> seq ${i + BATCH - 1}`);
      await until(() => w.msgs.length >= i + BATCH - 1 && s.msgs.length >= i + BATCH - 1, `batch ${i}`);
      if (i === 51) { killedAt = victim.msgs.length ? victim.msgs.at(-1).seq : 0; victim.ws.terminate(); }
    }
    for (const [name, c] of [['ws', w], ['sse', s]]) {
      check(c.msgs.length === N, `${name}: all ${N} messages (got ${c.msgs.length})`);
      check(c.msgs.every((m, i) => m.seq === i + 1 && m.type === 'delta' && m.text === `t${i + 1};` && m.channel === 's1'), `${name}: in order, intact`);
    }
    check(s.lastEventIds.every((id, i) => id === String(i + 1)), 'sse: id: is the sequence number');
    check(killedAt > 0 && killedAt < N, `victim saw part of the stream (${killedAt})`);

    // resume within the history: exactly the missed messages
    const since = N - 40;
    const r1 = wsClient(WebSocket, b, { channel: 's1', since });
    const r2 = sseClient(b, 's1', { lastEventId: since });
    await until(() => r1.msgs.length >= 40 && r2.msgs.length >= 40, 'resumed clients');
    await sleep(100);
    for (const [name, c] of [['ws', r1], ['sse', r2]]) {
      check(c.msgs.length === 40 && c.msgs[0].seq === since + 1 && gapless(c.msgs, since + 1) && c.msgs.every((m) => m.type === 'delta'),
        `${name} resume since=${since}: exactly the 40 missed, no gap, no duplicate`);
    }
    // the killed victim resumes from what it had: out of history -> snapshot then continuation
    const v2 = wsClient(WebSocket, b, { channel: 's1', since: killedAt });
    await until(() => v2.msgs.length >= 1, 'victim snapshot');
    const snap = v2.msgs[0];
    check(snap.type === 'snapshot' && snap.seq === N, `history overflow -> snapshot at head (got ${snap.type} ${snap.seq})`);
    const all = deltas(1, N).map((d) => d.text).join('');
    check(snap.text === all, 'snapshot holds the whole text so far');
    await publish(b, 's1', [...deltas(N + 1, N + 3), { type: 'progress', progress: 0.5 }, { type: 'done', value: { ok: true } }]);
    await until(() => v2.msgs.length >= 6 && w.msgs.length >= N + 5, 'continuation');
    check(gapless(v2.msgs, N) && v2.msgs.at(-1).seq === N + 5 && v2.msgs.at(-1).type === 'done' && v2.msgs.at(-1).value.ok === true,
      'after the snapshot the stream continues without gap up to done');
    // a late subscriber with no since gets the coalesced state
    const late = sseClient(b, 's1');
    await until(() => late.msgs.length >= 1, 'late snapshot');
    const ls = late.msgs[0];
    check(ls.type === 'snapshot' && ls.seq === N + 5 && ls.text === all + 't201;t202;t203;' && ls.progress.progress === 0.5 && ls.done.value.ok === true,
      'late subscriber: snapshot with text, progress and done');
    for (const c of [w, r1, v2]) c.ws.close();
    for (const c of [s, r2, late]) c.es.close();
  } finally { await stopBridge(b); }
}

async function testPatchesCoalesce() {
  const b = await startBridge(bin, ['--publish-endpoint', '--history', '2']);
  try {
    const patches = [{ op: 'add', path: '', value: {} }, { op: 'add', path: '/title', value: '' }];
    await publish(b, 'p', [{ type: 'patch', patches }]);
    for (const t of ['Hel', 'lo ', 'wor', 'ld']) await publish(b, 'p', [{ type: 'patch', patches: [{ op: 'append', path: '/title', text: t }] }]);
    await publish(b, 'p', [{ type: 'patch', patches: [{ op: 'complete', path: '/title' }, { op: 'add', path: '/n', value: 3 }] }]);
    const c = wsClient(WebSocket, b, { channel: 'p', since: 0 });
    await until(() => c.msgs.length >= 1, 'patch snapshot');
    const ps = c.msgs[0].patches;
    // apply the patches the way a browser would
    let doc;
    for (const p of ps) {
      const segs = p.path === '' ? [] : p.path.split('/').slice(1);
      if (p.op === 'add') { if (!segs.length) doc = structuredClone(p.value); else doc[segs.at(-1)] = structuredClone(p.value); }
      if (p.op === 'append') doc[segs.at(-1)] += p.text;
    }
    check(c.msgs[0].type === 'snapshot' && JSON.stringify(doc) === '{"title":"Hello world","n":3}', `snapshot patches rebuild the value (${JSON.stringify(doc)})`);
    check(ps.filter((p) => p.op === 'append').length === 1, 'consecutive appends coalesced into one');
    c.ws.close();
  } finally { await stopBridge(b); }
}

async function testSlowClient() {
  const b = await startBridge(bin, ['--publish-endpoint', '--history', '256', '--backlog', '128']);
  try {
    const fast = wsClient(WebSocket, b, { channel: 'big' });
    const slow = wsClient(WebSocket, b, { channel: 'big' });
    await until(() => fast.ctl.length && slow.ctl.length, 'clients ready');
    slow.ws._socket.pause(); // stops reading: the kernel buffers fill up
    const pad = 'x'.repeat(2000);
    const rss0 = rssKiB(b);
    const N = 4000, BATCH = 20; // 20 x 2 KB fits the 64 KiB body limit
    const t0 = Date.now();
    for (let i = 1; i <= N; i += BATCH) {
      const msgs = Array.from({ length: BATCH }, (_, k) => ({ type: 'delta', text: `${i + k}:${pad}` }));
      await publish(b, 'big', msgs);
      await until(() => fast.msgs.length >= i + BATCH - 1, 'fast client keeps up');
    }
    const ms = Date.now() - t0;
    const rss1 = rssKiB(b);
    check(fast.msgs.length === N && gapless(fast.msgs, 1) && fast.msgs.every((m) => m.type === 'delta'), 'fast client: every message, in order, no snapshot');
    check(rss1 - rss0 < 48 * 1024, `bridge RSS bounded with a stuck client: +${rss1 - rss0} KiB after ${N * 2} KB published`);
    console.log(`# slow-client run: ${N} x 2 KB in ${ms} ms; RSS ${rss0} -> ${rss1} KiB; stuck client had ${slow.msgs.length}`);
    slow.ws._socket.resume();
    await until(() => slow.closed || (slow.msgs.length && slow.msgs.at(-1).seq === N), 'slow client drains or is closed', 15000);
    const snaps = slow.msgs.filter((m) => m.type === 'snapshot').length;
    if (slow.closed) check(slow.closed.code === 4008, `slow client closed with 4008 (got ${slow.closed.code})`);
    else check(snaps >= 1 && gapless(slow.msgs, 1), `slow client got ${snaps} coalesced snapshot(s) and no silent gap`);
    fast.ws.close(); slow.ws.close();
  } finally { await stopBridge(b); }
}

process.exit(await runAll('bridge', [testAuthOriginLimits, testOrderResumeSnapshot, testPatchesCoalesce, testSlowClient]));
