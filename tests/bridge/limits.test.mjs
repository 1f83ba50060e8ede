// Limits and write batching of ssekit-bridge, with independent clients: Node's
// `ws`, `eventsource`, and a raw-socket WebSocket client with its own frame
// parser (so the framing of batched writes is checked byte by byte).
// usage: node limits.test.mjs PATH/TO/ssekit-bridge DIR_WITH_node_modules
import net from 'node:net';
import crypto from 'node:crypto';
import {
  loadClients, check, sleep, until, startBridge, stopBridge, rssKiB, publish, wsClient, gapless, runAll,
} from './helpers.mjs';

const [bin, mods] = process.argv.slice(2);
const { WebSocket, EventSource } = loadClients(mods);

// A WebSocket client on a plain TCP socket: the handshake by hand (the
// Sec-WebSocket-Accept is checked), masked client frames, and a frame parser
// that records every server frame with its header fields. reading() /
// paused() control whether it reads the socket at all.
function rawWs(b, { localAddress } = {}) {
  const u = new URL(b.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port: Number(u.port), host: u.hostname, localAddress });
    const key = crypto.randomBytes(16).toString('base64');
    const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const c = { sock, frames: [], chunks: 0, bad: [], ended: false, closeCode: null, status: null };
    let buf = Buffer.alloc(0), upgraded = false;
    c.send = (obj) => {
      const p = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
      const mask = crypto.randomBytes(4);
      const hl = p.length < 126 ? 2 : p.length < 65536 ? 4 : 10;
      const f = Buffer.alloc(hl + 4 + p.length);
      f[0] = 0x81;
      if (hl === 2) f[1] = 0x80 | p.length;
      else if (hl === 4) { f[1] = 0x80 | 126; f.writeUInt16BE(p.length, 2); }
      else { f[1] = 0x80 | 127; f.writeBigUInt64BE(BigInt(p.length), 2); }
      mask.copy(f, hl);
      for (let i = 0; i < p.length; i++) f[hl + 4 + i] = p[i] ^ mask[i & 3];
      sock.write(f);
    };
    sock.on('connect', () => sock.write(`GET /v1/ws HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    sock.on('error', () => {});
    sock.on('close', () => { c.ended = true; if (!upgraded) reject(new Error('closed before the upgrade')); });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const e = buf.indexOf('\r\n\r\n');
        if (e < 0) return;
        const head = buf.subarray(0, e).toString();
        c.status = Number(head.split(' ')[1]);
        if (c.status !== 101) { resolve(c); return; }
        if (!head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) c.bad.push('wrong Sec-WebSocket-Accept');
        upgraded = true;
        buf = buf.subarray(e + 4);
        resolve(c);
      }
      c.chunks++;
      while (buf.length >= 2) {
        const fin = (buf[0] & 0x80) !== 0, rsv = buf[0] & 0x70, op = buf[0] & 0x0f, masked = (buf[1] & 0x80) !== 0;
        let len = buf[1] & 0x7f, hl = 2;
        if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); hl = 4; }
        else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); hl = 10; }
        if (buf.length < hl + len) break;
        const minimal = hl === (len < 126 ? 2 : len < 65536 ? 4 : 10);
        const payload = buf.subarray(hl, hl + len);
        if (!fin || rsv || masked || !minimal) c.bad.push(`frame fin=${fin} rsv=${rsv} masked=${masked} minimal=${minimal}`);
        if (op === 1) {
          try { c.frames.push({ hl, len, msg: JSON.parse(payload.toString()) }); } catch { c.bad.push('a text frame that is not one JSON value'); }
        } else if (op === 8) {
          c.closeCode = len >= 2 ? payload.readUInt16BE(0) : 1005;
          c.closeReason = payload.subarray(2).toString();
        } else if (op !== 9 && op !== 10) c.bad.push(`opcode ${op}`);
        buf = buf.subarray(hl + len);
      }
    });
  });
}
const chMsgs = (c) => c.frames.map((f) => f.msg).filter((m) => m.seq !== undefined);

// Several messages pending for a client go out in one write; on the wire
// each must still be its own, well-formed frame (7-, 16- and 64-bit length
// forms, the reply before the channel's messages) or SSE event, in order.
async function testBatchedFraming() {
  const b = await startBridge(bin, ['--publish-endpoint', '--max-message', '400000', '--backlog-bytes', '2000000',
    '--history-bytes', '4000000']);
  try {
    const sizes = [];
    for (let i = 0; i < 240; i++) sizes.push(i % 40 === 7 ? 70000 : i % 5 === 1 ? 300 : i % 3);
    const texts = sizes.map((n, i) => `${i + 1}:${'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n)}é`);
    const first = texts.slice(0, 200), second = texts.slice(200);
    const r = await publish(b, 'bf', first.map((text) => ({ type: 'delta', text })));
    check(r.status === 200 && r.body.seq === 200, `burst of 200 published (${r.status} ${JSON.stringify(r.body)})`);

    // all of it pending at once: subscribe from the start
    const raw = await rawWs(b);
    raw.send({ op: 'subscribe', channel: 'bf', since: 0 });
    const w = wsClient(WebSocket, b, { channel: 'bf', since: 0 });
    const sse = { msgs: [] };
    const es = new EventSource(`${b.url}/v1/streams/bf/events?since=0`);
    es.onmessage = (e) => sse.msgs.push({ id: e.lastEventId, m: JSON.parse(e.data) });
    await until(() => chMsgs(raw).length >= 200 && w.msgs.length >= 200 && sse.msgs.length >= 200, 'the burst, three ways');
    // and a second burst while they are subscribed (live fan-out)
    await publish(b, 'bf', second.map((text) => ({ type: 'delta', text })));
    await until(() => chMsgs(raw).length >= 240 && w.msgs.length >= 240 && sse.msgs.length >= 240, 'the live burst');
    await sleep(100);

    const want = texts.map((text, i) => ({ channel: 'bf', seq: i + 1, type: 'delta', text }));
    const same = (got) => got.length === want.length && got.every((m, i) => JSON.stringify(m) === JSON.stringify(want[i]));
    check(raw.bad.length === 0, `raw client: every frame FIN, text, unmasked, minimal length (${raw.bad.slice(0, 3)})`);
    check(raw.frames[0]?.msg.type === 'subscribed' && raw.frames[0].msg.head === 200, 'raw client: the subscribed reply comes before the messages');
    check(same(chMsgs(raw)), 'raw client: one message per frame, all 240, in order, intact');
    const forms = new Set(raw.frames.map((f) => f.hl));
    check(forms.has(2) && forms.has(4) && forms.has(10), `all three length forms were used (${[...forms]})`);
    check(same(w.msgs), 'ws client: all 240 messages, in order, intact');
    check(same(sse.msgs.map((x) => x.m)) && sse.msgs.every((x, i) => x.id === String(i + 1)), 'SSE: all 240 events, in order, id = seq');
    console.log(`# batched framing: ${raw.frames.length} frames arrived in ${raw.chunks} socket reads`);
    raw.sock.destroy();
    w.ws.close();
    es.close();
  } finally { await stopBridge(b); }
}

// A client that reads only a trickle falls behind: it gets coalesced
// snapshots, then close 4008, while a normal client on the same channel gets
// every message in order, and the bridge's memory stays bounded.
async function testSlowClientClosed() {
  const b = await startBridge(bin, ['--publish-endpoint', '--history', '256', '--backlog', '64']);
  try {
    const fast = wsClient(WebSocket, b, { channel: 'slow' });
    const slow = await rawWs(b);
    slow.send({ op: 'subscribe', channel: 'slow' });
    await until(() => fast.ctl.length && slow.frames.length, 'clients ready');
    slow.sock.pause();
    const pad = 'x'.repeat(2000);
    const BATCH = 20, MAX = 2500 * BATCH;
    const rss0 = rssKiB(b);
    let rssMax = rss0, n = 0;
    const t0 = Date.now();
    while (slow.closeCode === null && !slow.ended && n < MAX) {
      const msgs = Array.from({ length: BATCH }, (_, k) => ({ type: 'progress', progress: n + k + 1, pad }));
      await publish(b, 'slow', msgs);
      n += BATCH;
      await until(() => fast.msgs.length >= n, 'the fast client keeps up');
      if ((n / BATCH) % 3 === 0) { // read one chunk now and then: less than is published
        slow.sock.once('data', () => slow.sock.pause());
        slow.sock.resume();
      }
      if ((n / BATCH) % 50 === 0) rssMax = Math.max(rssMax, rssKiB(b));
    }
    const published = n;
    slow.sock.resume();
    const loopMs = Date.now() - t0;
    try { await until(() => slow.closeCode !== null || slow.ended, 'the slow client is closed', 20000); } catch (e) {
      console.log(`# slow client not closed: loop ${loopMs} ms, published ${published}, frames ${slow.frames.length}, snapshots ${chMsgs(slow).filter((m) => m.type === 'snapshot').length}, ended ${slow.ended}`);
      throw e;
    }
    const got = chMsgs(slow), snaps = got.filter((m) => m.type === 'snapshot');
    console.log(`# slow client: closed after ${published} x 2 KB published in ${Date.now() - t0} ms; it got ${got.length} messages, ${snaps.length} snapshots; RSS ${rss0} -> max ${rssMax} KiB`);
    check(slow.closeCode === 4008 && slow.closeReason === 'too slow: slow', `slow client closed with 4008 "too slow: slow" (got ${slow.closeCode} "${slow.closeReason}")`);
    check(snaps.length >= 3, `slow client got snapshots before the close (${snaps.length}; 3 allowed in a row)`);
    check(snaps.every((s) => s.progress && s.progress.progress === s.seq && s.text === ''), 'each snapshot carries the progress at its seq');
    check(gapless(got, 1), 'slow client: no silent gap, only forward jumps at snapshots');
    check(fast.msgs.length === published && gapless(fast.msgs, 1) && fast.msgs.every((m, i) => m.type === 'progress' && m.progress === i + 1),
      `fast client: every one of ${published} messages, in order, no snapshot`);
    check(rssMax - rss0 < 48 * 1024, `bridge RSS bounded: +${rssMax - rss0} KiB with ${published * 2 / 1000} MB published`);
    check(fast.closed === null, 'the fast client is still connected');
    fast.ws.close();
  } finally { await stopBridge(b); }
}

// --max-clients and --max-per-address: refusals at the upgrade (429 per
// address, 503 in total), for WebSocket and SSE; a freed slot is reusable.
async function testClientLimits() {
  const b = await startBridge(bin, ['--max-clients', '3', '--max-per-address', '2']);
  try {
    const a1 = await rawWs(b), a2 = await rawWs(b);
    check(a1.status === 101 && a2.status === 101, 'two clients from 127.0.0.1 accepted');
    const a3 = await rawWs(b);
    check(a3.status === 429, `third WebSocket from 127.0.0.1 refused with 429 (got ${a3.status})`);
    const sse3 = await fetch(`${b.url}/v1/streams/x/events`);
    check(sse3.status === 429, `third client (SSE) from 127.0.0.1 refused with 429 (got ${sse3.status})`);
    check((await sse3.json()).error === 'too many clients', 'the refusal says why');
    const o1 = await rawWs(b, { localAddress: '127.0.0.2' });
    check(o1.status === 101, `a client from another address (127.0.0.2) accepted (got ${o1.status})`);
    const o2 = await rawWs(b, { localAddress: '127.0.0.3' });
    check(o2.status === 503, `fourth client overall refused with 503 (got ${o2.status})`);
    a1.sock.destroy();
    await sleep(200);
    const a4 = await rawWs(b);
    check(a4.status === 101, `after one left, 127.0.0.1 may connect again (got ${a4.status})`);
    a4.send({ op: 'ping' });
    await until(() => a4.frames.length, 'pong');
    check(a4.frames[0].msg.type === 'pong', 'the re-admitted client is served');
    for (const c of [a2, a3, o1, o2, a4]) c.sock.destroy();
  } finally { await stopBridge(b); }
}

// --idle-timeout: a client that answers no ping is closed after the timeout;
// one that answers stays.
async function testIdleTimeout() {
  const b = await startBridge(bin, ['--idle-timeout', '2']);
  try {
    const t0 = Date.now();
    const silent = wsClient(WebSocket, b, { channel: 'i', wsOptions: { autoPong: false } });
    const alive = wsClient(WebSocket, b, { channel: 'i' });
    await until(() => silent.closed, 'the silent client is closed', 8000);
    const after = silent.closed.at - t0;
    console.log(`# idle: silent client closed after ${after} ms with ${silent.closed.code}`);
    check(silent.pings >= 1, `the silent client was pinged first (${silent.pings})`);
    check(after >= 1500 && after < 6000, `closed after about the idle timeout (${after} ms, timeout 2 s)`);
    check(silent.closed.code === 1006, `dropped without a close frame, as documented (${silent.closed.code})`);
    await sleep(Math.max(0, 5000 - (Date.now() - t0)));
    check(alive.closed === null && alive.pings >= 2, `a client that answers pings stays open (${alive.pings} pings in 5 s)`);
    alive.ws.send(JSON.stringify({ op: 'ping' }));
    await until(() => alive.ctl.some((m) => m.type === 'pong'), 'pong');
    alive.ws.close();
  } finally { await stopBridge(b); }
}

// --max-message: a message at the limit is served, one byte more (also when
// it comes in fragments each under the limit) closes with 1009.
async function testInboundLimit() {
  const LIMIT = 1000;
  const b = await startBridge(bin, ['--max-message', String(LIMIT)]);
  try {
    const atLimit = (extra) => {
      const base = JSON.stringify({ op: 'subscribe', channel: 'm', pad: '' });
      return JSON.stringify({ op: 'subscribe', channel: 'm', pad: 'p'.repeat(LIMIT - base.length + extra) });
    };
    check(atLimit(0).length === LIMIT, 'the test message is exactly at the limit');
    const ok = wsClient(WebSocket, b, {});
    await until(() => ok.opened, 'open');
    ok.ws.send(atLimit(0));
    await until(() => ok.ctl.length || ok.closed, 'reply');
    check(ok.ctl[0]?.type === 'subscribed' && !ok.closed, 'a message of exactly --max-message bytes is served');
    ok.ws.send(atLimit(1));
    await until(() => ok.closed, 'close');
    check(ok.closed.code === 1009, `one byte over the limit -> close 1009 (got ${ok.closed.code})`);

    const frag = wsClient(WebSocket, b, {});
    await until(() => frag.opened, 'open');
    const big = atLimit(500);
    frag.ws.send(big.slice(0, 600), { fin: false });
    frag.ws.send(big.slice(600, 1200), { fin: false });
    frag.ws.send(big.slice(1200), { fin: true });
    await until(() => frag.closed, 'close (fragments)');
    check(frag.closed.code === 1009, `fragments under the limit that add up over it -> close 1009 (got ${frag.closed.code})`);
  } finally { await stopBridge(b); }
}

const tests = [testBatchedFraming, testClientLimits, testInboundLimit, testIdleTimeout, testSlowClientClosed];
// ONLY=testName runs one of them
process.exit(await runAll('bridge limits', tests.filter((t) => !process.env.ONLY || t.name === process.env.ONLY)));
