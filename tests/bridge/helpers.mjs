// Shared pieces of the bridge tests: start/stop the daemon, publish over
// HTTP, WebSocket / SSE subscribers that record what they get, checks.
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
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function until(pred, what, ms = 10000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timeout waiting for ${what}`);
    await sleep(5);
  }
}

// Starts `bin --listen 127.0.0.1:0 ...args`; resolves once it prints where it
// listens: { proc, url (http:// or https://), ws (ws:// or wss://) }.
export function startBridge(bin, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['--listen', '127.0.0.1:0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // ASan's quarantine would hide what RSS says about the bridge itself
      env: { ...process.env, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:quarantine_size_mb=1` },
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/\{"listening": "([^"]+)"\}/);
      if (m) resolve({ proc: p, url: m[1], ws: m[1].replace(/^http/, 'ws') });
    });
    p.on('exit', (code) => reject(new Error(`bridge exited ${code}`)));
  });
}
export async function stopBridge(b) {
  const code = await new Promise((r) => { b.proc.removeAllListeners('exit'); b.proc.on('exit', (c, s) => r(c ?? s)); b.proc.kill('SIGTERM'); });
  check(code === 0, `bridge exits 0 on SIGTERM (got ${code}; ASan reports leaks as non-zero)`);
}
export function rssKiB(b) {
  const m = readFileSync(`/proc/${b.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(m[1]);
}

export async function publish(b, channel, msgs) {
  const r = await fetch(`${b.url}/v1/publish/${channel}`, { method: 'POST', body: JSON.stringify(msgs) });
  return { status: r.status, body: await r.json() };
}

// A WebSocket subscriber that records every message (channel messages in
// msgs, replies in ctl) and how it ended.
export function wsClient(WebSocket, b, { channel, since, protocols, wsOptions = {} } = {}) {
  const ws = new WebSocket(`${b.ws}/v1/ws`, protocols, wsOptions);
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
