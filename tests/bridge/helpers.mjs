// Shared pieces of the bridge tests (and the dashboard's): start/stop the
// daemon or the replay server, publish over HTTP, WebSocket subscribers that
// record what they get, checks.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function loadClients(mods) {
  const require = createRequire(path.join(path.resolve(mods), 'package.json'));
  return { WebSocket: require('ws'), EventSource: require('eventsource') };
}

export const stats = { failures: 0, checks: 0 };
export function check(ok, what) {
  stats.checks++;
  if (!ok) { stats.failures++; console.log(`FAIL: ${what}`); }
  return ok;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Polls pred (which may be async) every `every` ms until it is true; throws
// after `ms`.
export async function until(pred, what, ms = 10000, every = 5) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`timeout waiting for ${what}`);
    await sleep(every);
  }
}

// Starts `bin ...args` (env added to this process's environment); resolves
// once it prints where it listens: { proc, url (http:// or https://), ws
// (ws:// or wss://) }.
export function startServer(bin, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/\{"listening": "([^"]+)"\}/);
      if (m) resolve({ proc: p, url: m[1], ws: m[1].replace(/^http/, 'ws') });
    });
    p.on('exit', (code) => reject(new Error(`${bin} exited ${code} before listening`)));
  });
}
// Stops a startServer() process with SIGTERM; checks that it exits 0.
export async function stopServer(s, what) {
  const code = await new Promise((r) => {
    s.proc.removeAllListeners('exit');
    if (s.proc.exitCode !== null) return r(s.proc.exitCode);
    s.proc.on('exit', (c, sig) => r(c ?? sig));
    s.proc.kill('SIGTERM');
  });
  check(code === 0, `${what} exits 0 on SIGTERM (got ${code}; ASan reports leaks as non-zero)`);
}

// Starts `bin --listen 127.0.0.1:0 ...args`, the bridge daemon.
export function startBridge(bin, args) {
  // ASan's quarantine would hide what RSS says about the bridge itself
  return startServer(bin, ['--listen', '127.0.0.1:0', ...args],
    { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:quarantine_size_mb=1` });
}
export const stopBridge = (b) => stopServer(b, 'bridge');
export function rssKiB(b) {
  const m = readFileSync(`/proc/${b.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(m[1]);
}

// POST /v1/publish/CHANNEL (with `token` as the bearer token when given).
export async function publish(b, channel, msgs, token) {
  const r = await fetch(`${b.url}/v1/publish/${channel}`, {
    method: 'POST', body: JSON.stringify(msgs),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: r.status, body: await r.json() };
}

// A WebSocket subscriber that records every message (channel messages in
// msgs, replies in ctl) and how it ended; `token` goes in the query, `origin`
// in the Origin header.
export function wsClient(WebSocket, b, { channel, since, protocols, token, origin, wsOptions = {} } = {}) {
  const url = `${b.ws}/v1/ws${token ? `?token=${token}` : ''}`;
  const ws = new WebSocket(url, protocols, origin ? { ...wsOptions, origin } : wsOptions);
  const c = { ws, msgs: [], ctl: [], closed: null, refused: null, opened: false, pings: 0 };
  ws.on('open', () => {
    c.opened = true;
    if (channel) ws.send(JSON.stringify({ op: 'subscribe', channel, ...(since !== undefined ? { since } : {}) }));
  });
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.seq !== undefined) c.msgs.push(m); else c.ctl.push(m);
  });
  ws.on('ping', () => { c.pings++; });
  ws.on('unexpected-response', (req, res) => { c.refused = res.statusCode; ws.terminate(); });
  ws.on('error', () => {});
  ws.on('close', (code, reason) => { c.closed = { code, reason: reason.toString(), at: Date.now() }; });
  return c;
}

// Every message seq is the previous + 1; a snapshot may only jump forward.
export function gapless(msgs, from) {
  let next = from;
  for (const m of msgs) {
    if (m.type === 'snapshot') { if (m.seq < next - 1) return false; next = m.seq + 1; continue; }
    if (m.seq !== next) return false;
    next++;
  }
  return true;
}

export async function runAll(name, tests) {
  const t0 = Date.now();
  for (const t of tests) {
    try { await t(); } catch (e) { stats.failures++; console.log(`FAIL: ${t.name}: ${e.stack}`); }
  }
  console.log(`${name}: ${stats.checks - stats.failures}/${stats.checks} checks passed in ${Date.now() - t0} ms`);
  return stats.failures ? 1 : 0;
}
