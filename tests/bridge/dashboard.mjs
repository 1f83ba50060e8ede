// The dashboard (bridge/web/) in headless Chromium, served by ssekit-bridge
// itself under its strict CSP, submitting jobs against the replay server.
// usage: node dashboard.mjs BUILD_DIR SRC_DIR DIR_WITH_node_modules ARTIFACT_DIR
//
// Expected values are derived here from the transcript file (the OpenAI chat
// chunks' content concatenated and parsed), not from the bridge.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { check, stats, sleep, startServer, stopServer } from './helpers.mjs';

const [build, src, mods, artifacts] = process.argv.slice(2);
const require = createRequire(path.join(mods, 'package.json'));
const { chromium } = require('playwright-core');

// ---- what the transcript says ------------------------------------------------
const transcript = readFileSync(path.join(src, 'demos/transcripts/openai_chat_structured.sse'), 'utf8');
const schemaText = readFileSync(path.join(src, 'demos/transcripts/review.schema.json'), 'utf8');
let expectText = '', expectUsage = null;
for (const line of transcript.split('\n')) {
  if (!line.startsWith('data:')) continue;
  const data = line.slice(5).trim();
  if (data === '[DONE]') continue;
  const chunk = JSON.parse(data);
  const c = chunk.choices && chunk.choices[0] && chunk.choices[0].delta && chunk.choices[0].delta.content;
  if (typeof c === 'string') expectText += c;
  if (chunk.usage) expectUsage = chunk.usage;
}
const expectValue = JSON.parse(expectText);
// Every JSON Pointer of the value (the root is "") -> the value there.
const expectPaths = new Map();
(function flatten(v, p) {
  expectPaths.set(p, v);
  if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) flatten(c, `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
})(expectValue, '');
const schema = JSON.parse(schemaText);

// ---- servers ---------------------------------------------------------------------
const TOKEN = 'dash-' + Math.random().toString(36).slice(2);
const replay = await startServer(path.join(build, 'ssekit'), ['replay', '--listen', '127.0.0.1:0', '--delay-ms', '25']);
const bridge = await startServer(path.join(build, 'bridge/ssekit-bridge'), ['--listen', '127.0.0.1:0', '--token', TOKEN]);
console.log(`# replay ${replay.url}, bridge ${bridge.url}`);

const browser = await chromium.launch({
  executablePath: process.env.SSEKIT_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-dev-shm-usage'],
});

// A page with every CSP violation, page error and console error recorded.
async function openPage(context, label) {
  const page = await context.newPage();
  const problems = [];
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
    // Every state a tree row ever showed, one batch per rendering (polling
    // could miss a short-lived one): [stream id, path, state, batch].
    window.__tree = [];
    let batch = 0;
    document.addEventListener('DOMContentLoaded', () => {
      const tree = document.getElementById('d-tree');
      new MutationObserver((recs) => {
        batch++;
        for (const r of recs) {
          const els = r.type === 'attributes' ? [r.target]
            : [...r.addedNodes].flatMap((n) => (n.nodeType === 1 ? [n, ...n.querySelectorAll('li')] : []));
          for (const e of els) {
            if (e.tagName === 'LI' && e.isConnected) window.__tree.push([tree.dataset.id, e.dataset.path, e.dataset.state, batch]);
          }
        }
      }).observe(tree, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  page.problems = problems;
  page.label = label;
  return page;
}
async function noProblems(page, allowed = 0) {
  const csp = await page.evaluate(() => window.__csp);
  check(csp.length === allowed, `${page.label}: ${csp.length - allowed} unexpected CSP violation(s): ${csp.join('; ')}`);
}

// The tree, the stage and the bars as the user sees them.
function readDashboard(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const li = [...document.querySelectorAll('#d-tree li')].filter((e) => !e.closest('[hidden]'));
    const sel = q('#d-id').textContent;
    const item = [...document.querySelectorAll('#streams li')].find((e) => e.dataset.id === sel);
    return {
      id: sel,
      stage: q('#d-stage').textContent,
      progress: q('#d-progress').value,
      listStage: item ? item.querySelector('.stage').textContent : null,
      listProgress: item ? item.querySelector('progress').value : null,
      usage: q('#d-usage').textContent,
      text: q('#d-text').textContent,
      log: [...document.querySelectorAll('#d-log li')].map((e) => e.textContent),
      error: q('#d-error').hidden ? null : q('#d-error').textContent,
      nodes: li.map((e) => ({
        path: e.dataset.path,
        state: e.dataset.state,
        type: e.dataset.type,
        badge: e.querySelector(':scope > .row > .badge').textContent,
        value: e.querySelector(':scope > .row > .value').textContent,
      })),
    };
  });
}

async function submitJob(page, base = `${replay.url}/v1`) {
  await page.selectOption('#f-provider', 'openai');
  await page.fill('#f-model', 'gpt-4o-2024-08-06');
  await page.fill('#f-base', base);
  await page.fill('#f-prompt', 'Triage this review: "Shipping was slow but support was great."');
  await page.fill('#f-schema', schemaText);
  const before = await page.textContent('#d-id');
  await page.click('#f-submit');
  await page.waitForFunction((b) => /^Submitted: /.test(document.querySelector('#form-status').textContent)
    && document.querySelector('#d-id').textContent !== b, before, { timeout: 10000 });
  return page.textContent('#d-id');
}

// Watches the selected stream until it ends; returns every distinct view.
async function watch(page, onView = async () => {}) {
  const views = [];
  const t0 = Date.now();
  for (;;) {
    const v = await readDashboard(page);
    const key = JSON.stringify([v.stage, v.progress, v.nodes, v.text.length]);
    if (!views.length || views[views.length - 1].key !== key) views.push({ ...v, key, t: Date.now() - t0 });
    await onView(v);
    if (['done', 'failed', 'canceled'].includes(v.stage) && v.progress === 100) break;
    if (['failed', 'canceled'].includes(v.stage)) break;
    if (Date.now() - t0 > 30000) { check(false, `stream did not finish in 30 s (stage ${v.stage})`); break; }
    await sleep(15);
  }
  // the status poll may say "done" before the last WebSocket messages are
  // shown: a last look once the root of the tree is complete (or 10 s)
  if (views[views.length - 1].stage === 'done') await page.waitForFunction(() => {
    const root = document.querySelector('#d-tree li[data-path=""]');
    return root && root.dataset.state === 'done';
  }, null, { timeout: 10000 }).catch(() => {});
  await sleep(100);
  const last = await readDashboard(page);
  views.push({ ...last, key: 'last', t: Date.now() - t0 });
  return views;
}

const RANK = { pending: 0, streaming: 1, done: 2 };

function checkFinal(v, what) {
  check(v.stage === 'done', `${what}: stage done (got ${v.stage}; error ${v.error}; log ${v.log.join(' | ')})`);
  check(v.progress === 100, `${what}: progress bar at 100 (got ${v.progress})`);
  check(v.listStage === 'done' && v.listProgress === 100,
    `${what}: the stream list says done at 100 (got ${v.listStage} at ${v.listProgress})`);
  const paths = v.nodes.map((n) => n.path);
  check(isDeepStrictEqual([...paths].sort(), [...expectPaths.keys()].sort()),
    `${what}: the tree has exactly the value's fields: got ${paths.join(' ')}`);
  const notDone = v.nodes.filter((n) => n.state !== 'done' || n.badge !== 'done');
  check(notDone.length === 0, `${what}: every field done, not ${notDone.map((n) => `${n.path}=${n.state}`).join(' ')}`);
  for (const n of v.nodes) {
    if (!expectPaths.has(n.path)) continue;
    const e = expectPaths.get(n.path);
    if (e !== null && typeof e === 'object') {
      check(n.type === (Array.isArray(e) ? 'array' : 'object'), `${what}: ${n.path} is a container (${n.type})`);
    } else if (typeof e === 'string') {
      check(n.type === 'string' && n.value === e, `${what}: ${n.path} = ${JSON.stringify(e)}, shown ${JSON.stringify(n.value)}`);
    } else {
      check(n.type === (e === null ? 'null' : typeof e) && n.value === JSON.stringify(e),
        `${what}: ${n.path} = ${JSON.stringify(e)}, shown ${n.value} (${n.type})`);
    }
  }
  check(v.text === expectText, `${what}: the token text is the transcript's content, exactly once ` +
    `(${v.text.length} chars, want ${expectText.length})`);
  if (expectUsage) {
    const want = `${expectUsage.prompt_tokens} in · ${expectUsage.completion_tokens} out`;
    check(v.usage === want, `${what}: usage shown "${want}" (got "${v.usage}")`);
  }
  check(!v.log.some((l) => /gap|error|failed/.test(l)), `${what}: no gap or error in the log: ${v.log.join(' | ')}`);
}

// The tree of stream `id` after each rendering, from the MutationObserver's
// record: [Map path -> state, ...].
async function treeFrames(page, id) {
  const recs = await page.evaluate(() => window.__tree);
  const frames = [];
  const cur = new Map();
  let last = null;
  for (const [tid, p, state, batch] of recs) {
    if (tid !== id) continue;
    if (last !== null && batch !== last) frames.push(new Map(cur));
    cur.set(p, state);
    last = batch;
  }
  if (last !== null) frames.push(new Map(cur));
  return frames;
}

// Fields only ever move forward: pending -> streaming -> done.
function checkForward(frames, what) {
  const seen = new Map();
  const backwards = [];
  frames.forEach((f, i) => {
    for (const [p, state] of f) {
      const r = RANK[state];
      if (r === undefined) { backwards.push(`${p} has state ${state}`); continue; }
      if (seen.has(p) && r < seen.get(p)) backwards.push(`${p} went back to ${state} in rendering ${i}`);
      seen.set(p, Math.max(r, seen.get(p) ?? 0));
    }
  });
  check(frames.length > 2 && backwards.length === 0,
    `${what}: field states only move forward over ${frames.length} renderings: ${backwards.slice(0, 5).join('; ')}`);
}

try {
  // ---- 1. the page itself, the CSP, the token -----------------------------------
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await openPage(context, 'dashboard');
  const resp = await page.goto(`${bridge.url}/?token=${TOKEN}`);
  check(resp.status() === 200, `GET / answers 200 (got ${resp.status()})`);
  const csp = resp.headers()['content-security-policy'] || '';
  check(/script-src 'self'/.test(csp) && /default-src 'self'/.test(csp) && !/unsafe-inline/.test(csp),
    `the dashboard is served with a strict CSP (got "${csp}")`);
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 10000 });
  check((await page.textContent('#streams-note')).trim() === 'No streams yet.' ||
    !(await page.isVisible('#streams-note')), 'the job list loaded with the token (no 401 note)');

  // ---- 2. a job through the form, watched until it is done -----------------------
  const id = await submitJob(page);
  console.log(`# job ${id}`);
  mkdirSync(artifacts, { recursive: true });
  const midShot = path.join(artifacts, 'dashboard-streaming.png');
  let midShotTaken = false;
  const views = await watch(page, async (v) => {
    const f = v.nodes.filter((n) => n.path !== '');
    if (!midShotTaken && f.some((n) => n.state === 'streaming' && n.path.startsWith('/customer/')) &&
        f.some((n) => n.state === 'pending')) {
      midShotTaken = true;
      await page.screenshot({ path: midShot, fullPage: true });
    }
  });
  console.log(`# ${views.length} distinct views in ${views[views.length - 1].t} ms`);
  const frames = await treeFrames(page, id);
  const fields = (f) => [...f].filter(([p]) => p !== '');
  // the first rendering after the submission: nothing arrived, the schema
  // says what will
  if (check(frames.length > 0 && fields(frames[0]).length > 0 && fields(frames[0]).every(([, st]) => st === 'pending'),
    `the job's first tree shows every field pending: ${frames.length && JSON.stringify(fields(frames[0]))}`)) {
    const top = fields(frames[0]).filter(([p]) => /^\/[^/]+$/.test(p)).map(([p]) => p.slice(1));
    check(isDeepStrictEqual(top.sort(), [...schema.required].sort()),
      `the pending top-level fields are the schema's required ones (${top.join(',')})`);
  }
  const both = frames.find((f) => fields(f).some(([, st]) => st === 'streaming') &&
    fields(f).some(([, st]) => st === 'done') && fields(f).some(([, st]) => st === 'pending'));
  check(!!both, 'mid-stream the tree had a field streaming, another done and another pending at once');
  // what a streaming string shows is always the start of its final text
  let streamed = 0;
  const notPrefix = [];
  for (const v of views) {
    for (const n of v.nodes) {
      if (n.state !== 'streaming' || n.type !== 'string') continue;
      streamed++;
      const full = expectPaths.get(n.path);
      if (typeof full !== 'string' || !full.startsWith(n.value)) notPrefix.push(`${n.path}: "${n.value}"`);
    }
  }
  check(streamed > 0 && notPrefix.length === 0,
    `a streaming string shows the start of its final text (${streamed} seen; wrong: ${notPrefix.slice(0, 3).join(', ')})`);
  check(views.filter((v) => v.stage !== 'done').some((v) => v.progress > 0 && v.progress < 100),
    'the progress bar moved between 0 and 100 while streaming');
  checkForward(frames, 'job 1');
  const final = views[views.length - 1];
  checkFinal(final, 'job 1');

  // the job API agrees (with the token; without it 401)
  const rres = await fetch(`${bridge.url}/v1/streams/${id}/result`, { headers: { authorization: `Bearer ${TOKEN}` } });
  check(rres.status === 200 && isDeepStrictEqual(await rres.json(), expectValue), `GET /v1/streams/${id}/result is the value`);
  const noTok = await fetch(`${bridge.url}/v1/streams`);
  check(noTok.status === 401, `GET /v1/streams without the token is 401 (got ${noTok.status})`);

  const shot = path.join(artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`# screenshot: ${shot}`);
  if (midShotTaken) console.log(`# screenshot mid-stream: ${midShot}`);

  // ---- 3. a dropped WebSocket mid-stream: resume with since, no gap, no duplicate --
  const page2 = await openPage(context, 'resume');
  const subs = [];
  let pageSide = null, serverSide = null, drops = 0;
  await page2.routeWebSocket(/\/v1\/ws/, (ws) => {
    const server = ws.connectToServer();
    pageSide = ws;
    serverSide = server;
    ws.onMessage((m) => {
      try { const o = JSON.parse(m); if (o.op === 'subscribe') subs.push(o); } catch (_) { /* not JSON */ }
      server.send(m);
    });
  });
  await page2.goto(`${bridge.url}/?token=${TOKEN}`);
  await page2.waitForSelector('#conn[data-state="live"]', { timeout: 10000 });
  const id2 = await submitJob(page2);
  let dropAt = 0;
  const views2 = await watch(page2, async (v) => {
    if (!drops && v.text.length > expectText.length / 3 && pageSide) {
      drops++;
      dropAt = subs.length;
      await pageSide.close({ code: 4000, reason: 'test drops the connection' });
      await serverSide.close();
    }
  });
  check(drops === 1, 'the WebSocket was dropped mid-stream');
  const again = subs.slice(dropAt).filter((s) => s.channel === id2);
  check(again.length >= 1 && again[0].since > 0,
    `after the reconnect the page resubscribed to ${id2} with since > 0 (got ${JSON.stringify(again)})`);
  check(views2.some((v) => v.key !== 'last' && v.stage !== 'done' && v.text.length > 0 && v.text.length < expectText.length),
    'the drop happened while the stream was running');
  checkForward(await treeFrames(page2, id2), 'job 2');
  checkFinal(views2[views2.length - 1], 'job 2');

  // ---- 4. a job whose upstream refuses connections: retries, then the error ------
  const dead = await submitJob(page, 'http://127.0.0.1:1/v1');
  const views3 = await watch(page);
  const v3 = views3[views3.length - 1];
  check(v3.id === dead && v3.stage === 'failed', `a job against a closed port fails (${v3.stage})`);
  check(v3.listStage === 'failed', `the stream list says failed (${v3.listStage})`);
  check(v3.error !== null && /transport/.test(v3.error), `the error is shown (${v3.error})`);
  const retries = Number(await page.textContent('#d-retries'));
  check(retries >= 1, `the retries are counted (${retries})`);
  check(v3.log.some((l) => /retry/i.test(l)) && v3.log.some((l) => /transport/.test(l)),
    `the log lists the retries and the error: ${v3.log.join(' | ')}`);
  check(v3.nodes.every((n) => n.state === 'pending'), 'nothing of the value arrived: every field still pending');

  // ---- 5. the detectors work: an inline script is refused and seen -----------------
  await noProblems(page);
  await noProblems(page2);
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.append(s);
    return new Promise((r) => setTimeout(() => r(window.__inlineRan === true), 100));
  });
  check(!ran, 'an inline script does not run under the served CSP');
  const csp1 = await page.evaluate(() => window.__csp.length);
  check(csp1 === 1, `the securitypolicyviolation listener saw the inline script (${csp1})`);
  const expected = page.problems.filter((p) => /Content Security Policy/.test(p));
  check(expected.length === 1, `the console reported that one CSP violation (${expected.length})`);
  for (const p of [page, page2]) {
    const other = p.problems.filter((x) => !(p === page && /Content Security Policy/.test(x)));
    check(other.length === 0, `${p.label}: no page error, console error or failed request: ${other.join(' | ')}`);
  }
  await context.close();
} catch (e) {
  check(false, `unexpected: ${e.stack || e}`);
} finally {
  await browser.close().catch(() => {});
  await stopServer(bridge, 'ssekit-bridge').catch((e) => check(false, String(e)));
  await stopServer(replay, 'ssekit replay').catch((e) => check(false, String(e)));
}

console.log(`${stats.checks - stats.failures} passed, ${stats.failures} failed`);
process.exit(stats.failures ? 1 : 0);
