// HTTP edge cases and hostile inputs of ssekit-bridge, with independent
// clients (fetch, Node's `ws`, raw sockets): HEAD, 405 with Allow, oversized
// or malformed resume ids, deep JSON, empty messages, the channel table under
// subscribers to names nobody publishes on, and history replay on join.
// usage: node http.test.mjs PATH/TO/ssekit-bridge DIR_WITH_node_modules
import net from 'node:net';
import {
  loadClients, check, sleep, until, startBridge, stopBridge, publish, wsClient, gapless, runAll,
} from './helpers.mjs';

const [bin, mods] = process.argv.slice(2);
const { WebSocket } = loadClients(mods);

// One raw HTTP/1.1 request; resolves with the status, the headers and the
// bytes after the head (a HEAD answer must have none).
function rawRequest(b, head) {
  const u = new URL(b.url);
  return new Promise((resolve) => {
    const sock = net.connect({ port: Number(u.port), host: u.hostname });
    let buf = Buffer.alloc(0);
    const done = () => {
      const e = buf.indexOf('\r\n\r\n');
      const text = e < 0 ? buf.toString() : buf.subarray(0, e).toString();
      const [status, ...lines] = text.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(status.split(' ')[1]), headers, rest: e < 0 ? Buffer.alloc(0) : buf.subarray(e + 4) });
    };
    sock.on('connect', () => sock.write(head.replace(/\n/g, '\r\n') + '\r\n\r\n'));
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.on('error', () => {});
    sock.on('close', done);
    setTimeout(() => sock.destroy(), 700); // keep-alive: whatever came by then
  });
}

// HEAD is answered like GET without the body (RFC 9110 9.3.2): same status,
// same Content-Length; it used to be a 404 everywhere.
async function testHead() {
  const b = await startBridge(bin, ['--publish-endpoint']);
  try {
    await publish(b, 'h', [{ type: 'delta', text: 'x' }]);
    const job = await (await fetch(`${b.url}/v1/streams`, { method: 'POST', body: JSON.stringify({ provider: 'raw', url: 'http://127.0.0.1:1/x' }) })).json();
    for (const p of ['/', '/index.html', '/app.js', '/healthz', '/metrics', '/v1/streams', `/v1/streams/${job.id}`]) {
      const g = await fetch(`${b.url}${p}`);
      const gbody = Buffer.from(await g.arrayBuffer());
      const h = await rawRequest(b, `HEAD ${p} HTTP/1.1\nHost: x`);
      check(h.status === g.status && g.status === 200, `HEAD ${p}: ${h.status}, like GET (${g.status})`);
      if (p !== '/metrics' && p !== '/v1/streams' && !p.startsWith('/v1/streams/')) // these change between the two requests
        check(Number(h.headers['content-length']) === gbody.length, `HEAD ${p}: Content-Length ${h.headers['content-length']} = GET's body ${gbody.length}`);
      check(h.rest.length === 0, `HEAD ${p}: no body (${h.rest.length} bytes)`);
      check(h.headers['content-type'] === g.headers.get('content-type'), `HEAD ${p}: same Content-Type`);
    }
    const csp = await rawRequest(b, 'HEAD / HTTP/1.1\nHost: x');
    check((csp.headers['content-security-policy'] ?? '').includes("script-src 'self'"), 'HEAD / carries the CSP');
    const sse = await rawRequest(b, 'HEAD /v1/streams/h/events HTTP/1.1\nHost: x');
    check(sse.status === 200 && sse.headers['content-type'] === 'text/event-stream' && sse.rest.length === 0,
      `HEAD of an SSE stream: 200 text/event-stream, no events (${sse.status} ${sse.headers['content-type']} ${sse.rest.length})`);
    check((await fetch(`${b.url}/healthz`)).status === 200, 'still serving');
  } finally { await stopBridge(b); }
}

// A known path with a method it does not serve: 405 with Allow (RFC 9110
// 15.5.6), not 404, and not a 405 without Allow.
async function testMethodNotAllowed() {
  const b = await startBridge(bin, ['--publish-endpoint']);
  try {
    const job = await (await fetch(`${b.url}/v1/streams`, { method: 'POST', body: JSON.stringify({ provider: 'raw', url: 'http://127.0.0.1:1/x' }) })).json();
    const cases = [
      ['PUT', '/healthz', 'GET, HEAD'],
      ['POST', '/', 'GET, HEAD'],
      ['DELETE', '/app.js', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
      ['PATCH', '/v1/streams', 'GET, HEAD, POST'],
      ['PUT', `/v1/streams/${job.id}`, 'GET, HEAD, DELETE'],
      ['POST', `/v1/streams/${job.id}/result`, 'GET, HEAD'],
      ['DELETE', `/v1/streams/${job.id}/result`, 'GET, HEAD'],
      ['POST', '/v1/streams/c/events', 'GET, HEAD'],
      ['DELETE', '/v1/streams/c/events', 'GET, HEAD'],
      ['GET', '/v1/publish/c', 'POST'],
      ['POST', '/v1/ws', 'GET'],
    ];
    for (const [method, p, allow] of cases) {
      const r = await fetch(`${b.url}${p}`, { method, ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}' } : {}) });
      const body = await r.text();
      check(r.status === 405 && r.headers.get('allow') === allow,
        `${method} ${p} -> 405 Allow: ${allow} (got ${r.status} Allow: ${r.headers.get('allow')} ${body.slice(0, 60)})`);
    }
    const ws = await fetch(`${b.url}/v1/ws`);
    check(ws.status === 426 && ws.headers.get('upgrade') === 'websocket', `GET /v1/ws without an upgrade -> 426 (got ${ws.status})`);
    check((await fetch(`${b.url}/nowhere`, { method: 'PUT', body: 'x' })).status === 404, 'unknown path, any method -> 404');
  } finally { await stopBridge(b); }
}

// Resume ids: percent-encoding is decoded, an id too long to be a seq is a
// 400 (it used to be ignored: the client was treated as new), garbage too.
async function testResumeIds() {
  const b = await startBridge(bin, ['--publish-endpoint']);
  try {
    await publish(b, 'ch-1', [{ type: 'delta', text: 'a' }, { type: 'delta', text: 'b' }]);
    const events = async (p, headers = {}) => {
      const ac = new AbortController();
      const r = await fetch(`${b.url}${p}`, { headers, signal: ac.signal });
      let text = '';
      if (r.status === 200) {
        const rd = r.body.getReader();
        const t = setTimeout(() => ac.abort(), 400);
        try { for (;;) { const { value, done } = await rd.read(); if (done) break; text += Buffer.from(value).toString(); } } catch { /* aborted */ }
        clearTimeout(t);
      } else text = await r.text();
      return { status: r.status, ids: [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])), text };
    };
    const enc = await events('/v1/streams/ch%2D1/events?since=%31');
    check(enc.status === 200 && enc.ids.join() === '2', `percent-encoded id and since are decoded (${enc.status} ids ${enc.ids})`);
    const long = await events('/v1/streams/ch-1/events', { 'Last-Event-ID': '1'.repeat(100) });
    check(long.status === 400, `a 100-digit Last-Event-ID -> 400 (got ${long.status}, ids ${long.ids})`);
    const over = await events('/v1/streams/ch-1/events', { 'Last-Event-ID': '99999999999999999999999' });
    check(over.status === 400, `a Last-Event-ID past 2^64 -> 400 (got ${over.status})`);
    const neg = await events('/v1/streams/ch-1/events?since=-1');
    check(neg.status === 400, `since=-1 -> 400 (got ${neg.status})`);
    const slash = await events('/v1/streams/ch%2F1/events');
    check(slash.status === 404, `an id with an encoded "/" -> 404 (got ${slash.status})`);
    const name = await events(`/v1/streams/${'n'.repeat(129)}/events`);
    check(name.status === 404, `an id of 129 characters -> 404 (got ${name.status})`);
  } finally { await stopBridge(b); }
}

// Deeply nested JSON used to overflow the service thread's stack (yajl's
// tree and its walkers recurse per level): now a 400 / protocol_error.
async function testDeepJson() {
  const b = await startBridge(bin, ['--publish-endpoint', '--max-message', '4000000']);
  try {
    const deep = (n) => `{"type":"delta","text":"x","v":${'['.repeat(n)}${']'.repeat(n)}}`;
    const ok = await fetch(`${b.url}/v1/publish/d`, { method: 'POST', body: deep(200) });
    check(ok.status === 200, `200 levels are published (${ok.status})`);
    const r = await fetch(`${b.url}/v1/publish/d`, { method: 'POST', body: deep(1500000) });
    check(r.status === 400, `1.5 M levels -> 400 (got ${r.status})`);
    const job = await fetch(`${b.url}/v1/streams`, { method: 'POST', body: `{"provider":"openai","model":"m","prompt":"p","schema":${'{"a":'.repeat(300000)}1${'}'.repeat(300000)}}` });
    const jb = await job.json();
    check(job.status === 400 && /deep/.test(jb.error), `a job whose schema nests 300000 deep -> 400 (got ${job.status} ${JSON.stringify(jb)})`);
    const c = wsClient(WebSocket, b, {});
    await until(() => c.opened, 'open');
    c.ws.send('['.repeat(1000000));
    c.ws.send('');
    c.ws.send(JSON.stringify({ op: 'ping' }));
    await until(() => c.ctl.length >= 3 || c.closed, 'replies');
    check(c.ctl[0]?.type === 'protocol_error' && c.ctl[1]?.type === 'protocol_error' && c.ctl[2]?.type === 'pong',
      `deep and empty WebSocket messages -> protocol_error, the connection stays (${JSON.stringify(c.ctl)})`);
    c.ws.close();
    check((await fetch(`${b.url}/healthz`)).status === 200, 'the bridge is alive');
  } finally { await stopBridge(b); }
}

// Channels that subscribers name but nobody publishes on used to stay for
// good: a client could fill the channel table (--max-channels) and every
// publisher and job after it was refused.
async function testChannelTable() {
  const b = await startBridge(bin, ['--publish-endpoint', '--max-channels', '4']);
  try {
    for (let round = 0; round < 3; round++) {
      const subs = [];
      for (let i = 0; i < 4; i++) subs.push(wsClient(WebSocket, b, { channel: `void-${round}-${i}` }));
      await until(() => subs.every((c) => c.ctl.length), 'subscribed');
      check(subs.every((c) => c.ctl[0].type === 'subscribed'), `round ${round}: 4 subscribers to empty channels`);
      const full = await publish(b, 'real', [{ type: 'delta', text: 'x' }]);
      check(full.status === 503, `round ${round}: while they are held, the table is full (${full.status})`);
      for (const c of subs) c.ws.close();
      await until(() => subs.every((c) => c.closed), 'closed');
    }
    await sleep(200);
    const r = await publish(b, 'real', [{ type: 'delta', text: 'x' }]);
    check(r.status === 200, `after they left, publishing to a new channel works (got ${r.status} ${JSON.stringify(r.body)})`);
    const m = await (await fetch(`${b.url}/metrics`)).text();
    check(/^ssekit_bridge_channels 1$/m.test(m), `only the published channel remains (${m.match(/^ssekit_bridge_channels .*$/m)})`);
    // unsubscribe forgets an empty channel too; a channel with messages stays
    const u = wsClient(WebSocket, b, { channel: 'void-u' });
    await until(() => u.ctl.length, 'subscribed');
    u.ws.send(JSON.stringify({ op: 'unsubscribe', channel: 'void-u' }));
    u.ws.send(JSON.stringify({ op: 'subscribe', channel: 'real', since: 0 }));
    await until(() => u.msgs.length >= 1, 'real channel');
    const m2 = await (await fetch(`${b.url}/metrics`)).text();
    check(/^ssekit_bridge_channels 1$/m.test(m2) && u.msgs[0].text === 'x', 'unsubscribe forgot the empty channel; the real one keeps its history');
    u.ws.close();
  } finally { await stopBridge(b); }
}

// Joining (no since, or since=0) or resuming far back: the whole history
// asked for is replayed while it is all in the ring, even past the backlog
// limit (which is about falling behind, not about how far back one asks);
// a snapshot only when the ring no longer holds it.
async function testReplayOnJoin() {
  const b = await startBridge(bin, ['--publish-endpoint', '--history', '1024', '--backlog', '16', '--backlog-bytes', '2000']);
  try {
    const N = 300;
    for (let i = 1; i <= N; i += 50) await publish(b, 'r', Array.from({ length: 50 }, (_, k) => ({ type: 'delta', text: `t${i + k};` })));
    const fresh = wsClient(WebSocket, b, { channel: 'r' });
    const zero = wsClient(WebSocket, b, { channel: 'r', since: 0 });
    const back = wsClient(WebSocket, b, { channel: 'r', since: 100 });
    const sseMsgs = [];
    const { EventSource } = loadClients(mods);
    const es = new EventSource(`${b.url}/v1/streams/r/events`);
    es.onmessage = (e) => sseMsgs.push(JSON.parse(e.data));
    await until(() => fresh.msgs.length >= N && zero.msgs.length >= N && back.msgs.length >= N - 100 && sseMsgs.length >= N, 'replays', 10000)
      .catch(() => {});
    await sleep(100);
    for (const [name, got, from] of [['ws, no since', fresh.msgs, 1], ['ws, since 0', zero.msgs, 1], ['ws, since 100', back.msgs, 101], ['sse, no Last-Event-ID', sseMsgs, 1]]) {
      check(got.length === N - from + 1 && got.every((m, i) => m.type === 'delta' && m.seq === from + i && m.text === `t${from + i};`),
        `${name}: the ${N - from + 1} messages from the history, in order, no snapshot (got ${got.length}, first ${got[0]?.type} ${got[0]?.seq})`);
    }
    // then live: they continue without gap
    await publish(b, 'r', [{ type: 'delta', text: 'live;' }]);
    await until(() => fresh.msgs.length > N, 'live');
    check(gapless(fresh.msgs, 1) && fresh.msgs.at(-1).text === 'live;', 'live messages follow the replay');
    es.close();
    for (const c of [fresh, zero, back]) c.ws.close();
  } finally { await stopBridge(b); }
}

const tests = [testHead, testMethodNotAllowed, testResumeIds, testDeepJson, testChannelTable, testReplayOnJoin];
process.exit(await runAll('bridge http', tests.filter((t) => !process.env.ONLY || t.name === process.env.ONLY)));
