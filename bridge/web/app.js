// ssekit bridge dashboard: the job API (GET/POST /v1/streams) polled, the
// live messages of every listed stream over one WebSocket (/v1/ws, the
// protocol of docs/bridge-protocol.md, resumed with `since` after a
// reconnect). No framework, no inline script: works under a strict CSP.
'use strict';

(() => {
  const POLL_MS = 1000;
  const MAX_SUBSCRIPTIONS = 64; // the bridge's per-connection limit
  const MAX_LOG = 200;
  const TERMINAL = new Set(['done', 'failed', 'canceled']);

  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);

  /** @type {Map<string, object>} id -> stream state, in the API's order */
  const streams = new Map();
  let selected = null;
  let ws = null;
  let wsBackoff = 500;
  let renderQueued = false;

  // ---- HTTP ----------------------------------------------------------------

  function api(path, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    if (token) headers.Authorization = `Bearer ${token}`;
    return fetch(path, Object.assign({}, opts, { headers, cache: 'no-store' }));
  }

  async function errorText(r) {
    try {
      const body = await r.json();
      const e = body && body.error;
      if (typeof e === 'string') return e;
      if (e && e.message) return e.message;
    } catch (_) { /* not JSON */ }
    return `HTTP ${r.status}`;
  }

  // ---- the model of one stream ---------------------------------------------

  function newStream(id) {
    return {
      id,
      status: null, // the latest GET /v1/streams entry
      seq: 0, // last channel seq applied
      resync: false, // waiting for a resubscribe after a gap
      subscribed: false,
      text: '',
      root: null, // tree node: {kind, state, children|text|value}
      progress: 0,
      stage: 'queued',
      retries: 0,
      usage: null,
      error: null,
      log: [],
      schema: loadSchema(id),
      dom: new Map(), // JSON Pointer -> <li>
      lastNote: null,
    };
  }

  function loadSchema(id) {
    try {
      const s = sessionStorage.getItem(`ssekit.schema.${id}`);
      return s ? JSON.parse(s) : null;
    } catch (_) {
      return null;
    }
  }

  function saveSchema(id, schema) {
    try {
      sessionStorage.setItem(`ssekit.schema.${id}`, JSON.stringify(schema));
    } catch (_) { /* storage full or disabled: pending fields are then not shown */ }
  }

  function addLog(s, kind, text) {
    s.log.push({ kind, text, at: new Date() });
    if (s.log.length > MAX_LOG) s.log.splice(0, s.log.length - MAX_LOG);
  }

  function setStage(s, stage) {
    if (typeof stage !== 'string' || !stage) return;
    if (TERMINAL.has(s.stage) && !TERMINAL.has(stage)) return; // terminal stages stick
    s.stage = stage;
  }

  function setProgress(s, p) {
    if (typeof p === 'number' && Number.isFinite(p)) s.progress = Math.max(s.progress, Math.min(100, Math.max(0, p)));
  }

  // Tree nodes built from the partial builder's patches
  // (lib/include/ssekit/partial_json.h). Maps keep any key, "__proto__" too.
  function nodeFrom(v, state) {
    if (typeof v === 'string') return { kind: 'string', state, text: v };
    if (Array.isArray(v)) return { kind: 'array', state, children: v.map((x) => nodeFrom(x, 'done')) };
    if (v !== null && typeof v === 'object') {
      const children = new Map();
      for (const k of Object.keys(v)) children.set(k, nodeFrom(v[k], 'done'));
      return { kind: 'object', state, children };
    }
    return { kind: v === null ? 'null' : typeof v, state: 'done', value: v };
  }

  function splitPointer(path) {
    if (path === '') return [];
    return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  }

  function childOf(node, seg) {
    if (!node) return null;
    if (node.kind === 'object') return node.children.get(seg) || null;
    if (node.kind === 'array') return node.children[Number(seg)] || null;
    return null;
  }

  function applyPatch(s, p) {
    if (!p || typeof p.path !== 'string') return;
    const segs = splitPointer(p.path);
    if (p.op === 'add') {
      const state = typeof p.value === 'object' || typeof p.value === 'string' ? 'streaming' : 'done';
      const n = nodeFrom(p.value, state);
      if (!segs.length) { s.root = n; return; }
      let parent = s.root;
      for (const seg of segs.slice(0, -1)) parent = childOf(parent, seg);
      const last = segs[segs.length - 1];
      if (parent && parent.kind === 'object') parent.children.set(last, n);
      else if (parent && parent.kind === 'array') parent.children[Number(last)] = n;
      return;
    }
    let node = s.root;
    for (const seg of segs) node = childOf(node, seg);
    if (!node) return;
    if (p.op === 'append' && node.kind === 'string') node.text += String(p.text);
    else if (p.op === 'complete') node.state = 'done';
  }

  function reset(s) {
    s.text = '';
    s.root = null;
    s.usage = null;
    s.error = null;
  }

  function applyProgress(s, m) {
    setStage(s, m.stage);
    setProgress(s, m.progress);
    if (Number.isInteger(m.retries)) s.retries = Math.max(s.retries, m.retries);
    if (typeof m.note === 'string' && m.note && m.note !== s.lastNote) {
      s.lastNote = m.note;
      addLog(s, 'retry', m.note);
    }
  }

  function applyDone(s) {
    setStage(s, 'done');
    s.progress = 100;
  }

  function applyError(s, e) {
    s.error = e;
    setStage(s, e && e.category === 'canceled' ? 'canceled' : 'failed');
    addLog(s, 'error', describeError(e));
  }

  function describeError(e) {
    if (!e || typeof e !== 'object') return 'error';
    let t = `${e.category || 'error'}: ${e.message || ''}`.trim();
    if (e.status) t += ` (HTTP ${e.status})`;
    if (Array.isArray(e.violations) && e.violations.length)
      t += ` — ${e.violations.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('; ')}`;
    return t;
  }

  // One channel message (it has a seq). Returns false when it was dropped.
  function applyMessage(s, m) {
    if (m.type === 'snapshot') {
      reset(s);
      s.text = typeof m.text === 'string' ? m.text : '';
      for (const p of m.patches || []) applyPatch(s, p);
      if (m.progress) applyProgress(s, m.progress);
      if (m.usage) s.usage = m.usage;
      if (m.error) applyError(s, m.error);
      if (m.done) applyDone(s);
      if (m.truncated) addLog(s, 'warn', 'snapshot truncated: the text and the tree are incomplete');
      s.seq = m.seq;
      s.resync = false;
      return true;
    }
    if (m.seq <= s.seq) return false; // already applied (a resubscribe overlaps)
    if (m.seq !== s.seq + 1) {
      // Never expected from the bridge; ask again from what we have.
      if (!s.resync) {
        s.resync = true;
        addLog(s, 'warn', `gap after message ${s.seq} (got ${m.seq}): resubscribing`);
        send({ op: 'subscribe', channel: s.id, since: s.seq });
      }
      return false;
    }
    s.seq = m.seq;
    switch (m.type) {
      case 'delta':
        if (typeof m.text === 'string') s.text += m.text;
        if (!TERMINAL.has(s.stage) && s.stage !== 'validating') setStage(s, 'streaming');
        break;
      case 'patch':
        for (const p of m.patches || []) applyPatch(s, p);
        break;
      case 'progress':
        applyProgress(s, m);
        break;
      case 'usage':
        s.usage = m;
        break;
      case 'done':
        applyDone(s);
        break;
      case 'error':
        applyError(s, m);
        break;
      default:
        break;
    }
    return true;
  }

  function applyStatus(s, st) {
    s.status = st;
    setStage(s, st.stage);
    setProgress(s, st.progress);
    if (st.stage === 'done') s.progress = 100;
    if (Number.isInteger(st.retries)) s.retries = Math.max(s.retries, st.retries);
    if (st.usage) s.usage = st.usage;
    if (st.error && !s.error) applyError(s, st.error);
  }

  // ---- WebSocket -----------------------------------------------------------

  function wsURL() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = token ? `?token=${encodeURIComponent(token)}` : '';
    return `${proto}//${location.host}/v1/ws${q}`;
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function subscribeAll() {
    let n = 0;
    const sel = selected && streams.get(selected);
    for (const s of sel ? [sel, ...streams.values()] : streams.values()) {
      if (n >= MAX_SUBSCRIPTIONS) break;
      if (s === sel && n > 0) continue; // listed first already
      n++;
      if (!s.subscribed && send({ op: 'subscribe', channel: s.id, since: s.seq })) s.subscribed = true;
    }
  }

  function setConn(state, text) {
    const el = $('conn');
    el.dataset.state = state;
    if (el.textContent !== text) el.textContent = text;
  }

  function connect() {
    setConn('connecting', 'Connecting…');
    const sock = new WebSocket(wsURL(), ['ssekit.v1']);
    ws = sock;
    sock.onopen = () => {
      wsBackoff = 500;
      setConn('live', 'Live');
      for (const s of streams.values()) s.subscribed = false;
      subscribeAll();
    };
    sock.onmessage = (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      if (m.seq === undefined) {
        const s = m.channel && streams.get(m.channel);
        if (m.type === 'protocol_error' && selected) addLog(streams.get(selected), 'warn', `protocol error: ${m.message}`);
        if (m.type === 'subscribed' && s) s.resync = false;
        if (m.type === 'unsubscribed' && s) {
          s.subscribed = false;
          if (m.reason) addLog(s, 'warn', `channel closed: ${m.reason}`);
          scheduleRender();
        }
        return;
      }
      const s = streams.get(m.channel);
      if (s && applyMessage(s, m)) scheduleRender();
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      for (const s of streams.values()) s.subscribed = false;
      const secs = (wsBackoff / 1000).toFixed(1);
      const why = ev.code === 4008 ? 'too slow' : ev.reason || `code ${ev.code}`;
      setConn('down', `Disconnected (${why}); reconnecting in ${secs} s`);
      setTimeout(connect, wsBackoff);
      wsBackoff = Math.min(wsBackoff * 2, 10000);
    };
  }

  // ---- polling the job API ---------------------------------------------------

  async function poll() {
    try {
      const r = await api('/v1/streams');
      if (r.status === 401) {
        setApiNote('The bridge wants a token: open this page with ?token=…');
      } else if (!r.ok) {
        setApiNote(`Job list unavailable: ${await errorText(r)}`);
      } else {
        const body = await r.json();
        apiNote = '';
        mergeStreams(Array.isArray(body.streams) ? body.streams : []);
      }
    } catch (e) {
      setApiNote(`Job list unavailable: ${e.message}`);
    }
    setTimeout(poll, POLL_MS);
  }

  let apiNote = '';
  function setApiNote(text) {
    apiNote = text;
    scheduleRender();
  }

  function mergeStreams(list) {
    const next = new Map();
    // A just-submitted stream the list does not show yet stays on top.
    for (const [id, s] of streams) if (!s.status) next.set(id, s);
    for (const st of list) {
      if (!st || typeof st.id !== 'string') continue;
      const s = streams.get(st.id) || newStream(st.id);
      applyStatus(s, st);
      next.set(st.id, s);
    }
    // Streams that expired leave the list.
    for (const [id, s] of streams) {
      if (!next.has(id) && s.subscribed) send({ op: 'unsubscribe', channel: id });
    }
    streams.clear();
    for (const [id, s] of next) streams.set(id, s);
    if (selected && !streams.has(selected)) selected = null;
    subscribeAll();
    scheduleRender();
  }

  // ---- rendering ---------------------------------------------------------------

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setText(e, t) {
    if (e.textContent !== t) e.textContent = t;
  }

  function pct(s) {
    return Math.round(s.progress);
  }

  function render() {
    renderList();
    renderDetail();
  }

  function renderList() {
    const ul = $('streams');
    const note = $('streams-note');
    const noteText = apiNote || (streams.size ? '' : 'No streams yet.');
    note.hidden = !noteText;
    setText(note, noteText);
    const have = new Map();
    for (const li of ul.children) have.set(li.dataset.id, li);
    let i = 0;
    for (const s of streams.values()) {
      let li = have.get(s.id);
      if (!li) li = buildListItem(s);
      have.delete(s.id);
      updateListItem(li, s);
      if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null);
      i++;
    }
    for (const li of have.values()) li.remove();
  }

  function buildListItem(s) {
    const li = el('li', 'stream');
    li.dataset.id = s.id;
    const b = el('button', 'pick');
    b.type = 'button';
    b.append(el('span', 'sid', s.id), el('span', 'model'));
    b.addEventListener('click', () => select(s.id, true));
    const bar = el('progress');
    bar.max = 100;
    bar.setAttribute('aria-label', `Progress of ${s.id}`);
    const row = el('div', 'row');
    row.append(el('span', 'stage'), bar, el('span', 'pct'));
    li.append(b, row, el('p', 'err'));
    return li;
  }

  function updateListItem(li, s) {
    const st = s.status || {};
    setText(li.querySelector('.model'), [st.provider, st.model].filter(Boolean).join(' · '));
    li.querySelector('.pick').setAttribute('aria-current', s.id === selected ? 'true' : 'false');
    const stage = li.querySelector('.stage');
    stage.dataset.stage = s.stage;
    setText(stage, s.stage);
    li.querySelector('progress').value = pct(s);
    setText(li.querySelector('.pct'), `${pct(s)}%${s.retries ? ` · ${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}` : ''}`);
    const err = li.querySelector('.err');
    err.hidden = !s.error;
    setText(err, s.error ? describeError(s.error) : '');
  }

  function renderDetail() {
    const s = selected && streams.get(selected);
    $('d-none').hidden = !!s;
    $('d-body').hidden = !s;
    if (!s) {
      setText($('d-id'), '');
      return;
    }
    const st = s.status || {};
    setText($('d-id'), s.id);
    setText($('d-provider'), st.provider || '–');
    setText($('d-model'), st.model || '–');
    const stage = $('d-stage');
    if (stage.textContent !== s.stage || stage.dataset.id !== s.id) {
      stage.dataset.id = s.id;
      stage.dataset.stage = s.stage;
      stage.textContent = s.stage;
      setText($('d-status'), `${s.id}: ${s.stage}`);
    }
    setText($('d-retries'), String(s.retries));
    const u = s.usage;
    setText($('d-usage'), u && (u.input_tokens !== undefined || u.output_tokens !== undefined)
      ? `${u.input_tokens ?? '?'} in · ${u.output_tokens ?? '?'} out` : '–');
    setText($('d-seq'), String(s.seq));
    $('d-progress').value = pct(s);
    setText($('d-pct'), `${pct(s)}%`);
    const err = $('d-error');
    err.hidden = !s.error;
    setText(err, s.error ? describeError(s.error) : '');
    $('d-cancel').disabled = TERMINAL.has(s.stage);
    setText($('d-text'), s.text);
    renderTree(s);
    renderLog(s);
  }

  function renderLog(s) {
    const ol = $('d-log');
    if (ol.dataset.id === s.id && Number(ol.dataset.n) === s.log.length) return;
    ol.dataset.id = s.id;
    ol.dataset.n = String(s.log.length);
    ol.replaceChildren(...(s.log.length ? s.log.map((e) => {
      const li = el('li', `log-${e.kind}`);
      const t = el('time', '', e.at.toLocaleTimeString());
      t.dateTime = e.at.toISOString();
      li.append(t, document.createTextNode(` ${e.text}`));
      return li;
    }) : [el('li', 'muted', 'None.')]));
  }

  // ---- the tree ----------------------------------------------------------------

  function resolveRef(schema, root) {
    for (let i = 0; i < 16 && schema && typeof schema.$ref === 'string' && schema.$ref.startsWith('#'); i++) {
      let t = root;
      for (const seg of splitPointer(schema.$ref.slice(1))) t = t && typeof t === 'object' ? t[seg] : undefined;
      schema = t;
    }
    return schema && typeof schema === 'object' ? schema : null;
  }

  function subSchema(schema, root, key, isArray) {
    schema = resolveRef(schema, root);
    if (!schema) return null;
    let sub = null;
    if (isArray) {
      const i = Number(key);
      if (Array.isArray(schema.prefixItems) && i < schema.prefixItems.length) sub = schema.prefixItems[i];
      else if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) sub = schema.items;
    } else if (schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)) {
      sub = schema.properties[key];
    } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      sub = schema.additionalProperties;
    }
    return resolveRef(sub, root);
  }

  function required(schema) {
    return schema && Array.isArray(schema.required) ? schema.required.filter((k) => typeof k === 'string') : [];
  }

  function pointer(parent, key) {
    return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
  }

  // Flattens the tree into rows {path, key, depth, state, node, schema}.
  function rows(s) {
    const out = [];
    const root = s.schema;
    const walk = (node, schema, path, key, depth) => {
      schema = resolveRef(schema, root);
      const state = node ? node.state : 'pending';
      out.push({ path, key, depth, state, node, schema });
      if (node && node.kind === 'array') {
        node.children.forEach((c, i) => { if (c) walk(c, subSchema(schema, root, String(i), true), pointer(path, i), String(i), depth + 1); });
        return;
      }
      if (node && node.kind !== 'object') return;
      if (!node && (depth > 32 || !(schema && (schema.type === 'object' || schema.properties)))) return;
      const seen = new Set();
      if (node) {
        for (const [k, c] of node.children) {
          seen.add(k);
          walk(c, subSchema(schema, root, k, false), pointer(path, k), k, depth + 1);
        }
      }
      for (const k of required(schema)) {
        if (!seen.has(k)) walk(null, subSchema(schema, root, k, false), pointer(path, k), k, depth + 1);
      }
    };
    if (s.root || s.schema) walk(s.root, s.schema, '', null, 0);
    return out;
  }

  function valueText(node, schema) {
    if (!node) {
      const t = schema && schema.type;
      return Array.isArray(t) ? t.join(' | ') : t || '';
    }
    switch (node.kind) {
      case 'string': return node.text;
      case 'object': return `{ ${node.children.size} field${node.children.size === 1 ? '' : 's'} }`;
      case 'array': return `[ ${node.children.length} item${node.children.length === 1 ? '' : 's'} ]`;
      default: return JSON.stringify(node.value);
    }
  }

  function buildTreeItem(path) {
    const li = el('li', 'node');
    li.dataset.path = path;
    const row = el('div', 'row');
    row.append(el('span', 'key'), el('span', 'badge'), el('span', 'value'));
    li.append(row);
    return li;
  }

  function renderTree(s) {
    const tree = $('d-tree');
    if (tree.dataset.id !== s.id) {
      tree.replaceChildren();
      tree.dataset.id = s.id;
      for (const st of streams.values()) st.dom = new Map();
    }
    const list = rows(s);
    $('tree-empty').hidden = list.length > 0;
    const live = new Set();
    const lastAt = [tree]; // the <ul> of each depth
    tree.lastPlaced = null;
    for (const r of list) {
      live.add(r.path);
      let li = s.dom.get(r.path);
      if (!li) {
        li = buildTreeItem(r.path);
        s.dom.set(r.path, li);
      }
      const type = r.node ? r.node.kind : 'pending';
      if (li.dataset.state !== r.state) li.dataset.state = r.state;
      if (li.dataset.type !== type) li.dataset.type = type;
      const [key, badge, value] = li.firstChild.children;
      setText(key, r.key === null ? 'result' : r.key);
      setText(badge, r.state);
      setText(value, valueText(r.node, r.schema));
      // place it: the children <ul> of the row one level up
      const parentUl = lastAt[r.depth];
      const ref = parentUl.lastPlaced ? parentUl.lastPlaced.nextElementSibling : parentUl.firstElementChild;
      if (ref !== li) parentUl.insertBefore(li, ref);
      parentUl.lastPlaced = li;
      let kids = li.querySelector(':scope > ul');
      if (!kids) {
        kids = el('ul', 'children');
        li.append(kids);
      }
      kids.lastPlaced = null;
      lastAt[r.depth + 1] = kids;
    }
    for (const [path, li] of s.dom) {
      if (!live.has(path)) {
        li.remove();
        s.dom.delete(path);
      }
    }
    // trailing leftovers (reordered away) and empty child lists
    for (const ul of [tree, ...tree.querySelectorAll('ul.children')]) {
      for (const c of [...ul.children]) if (!live.has(c.dataset.path)) c.remove();
      ul.hidden = ul.children.length === 0;
    }
  }

  // ---- selection and the form ------------------------------------------------------

  function select(id, focus) {
    selected = id;
    subscribeAll();
    try { history.replaceState(null, '', urlWith({ stream: id })); } catch (_) { /* file: */ }
    render();
    if (focus) $('detail').focus();
  }

  function urlWith(extra) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return `${location.pathname}?${q}`;
  }

  function randomKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function formBody() {
    const v = (id) => $(id).value.trim();
    const provider = v('f-provider');
    const body = { provider };
    if (v('f-model')) body.model = v('f-model');
    if (v('f-prompt')) body.prompt = $('f-prompt').value;
    if (v('f-base')) body.base_url = v('f-base');
    if (provider === 'raw' && v('f-url')) body.url = v('f-url');
    if (v('f-max')) body.max_tokens = Number(v('f-max'));
    const errEl = $('f-schema-err');
    const ta = $('f-schema');
    errEl.hidden = true;
    ta.removeAttribute('aria-invalid');
    if (v('f-schema')) {
      let schema;
      try {
        schema = JSON.parse(ta.value);
      } catch (e) {
        schema = e;
      }
      if (!schema || typeof schema !== 'object' || Array.isArray(schema) || schema instanceof Error) {
        errEl.textContent = schema instanceof Error ? `Not valid JSON: ${schema.message}` : 'The schema must be a JSON object.';
        errEl.hidden = false;
        ta.setAttribute('aria-invalid', 'true');
        ta.focus();
        return null;
      }
      body.schema = schema;
    }
    return body;
  }

  let pendingKey = null;
  async function submit(ev) {
    ev.preventDefault();
    const status = $('form-status');
    const body = formBody();
    if (!body) {
      status.textContent = 'Fix the schema first.';
      return;
    }
    // The same key for a resubmission of the same body (a double click, a
    // retry after a network error): the bridge answers with the same id.
    const text = JSON.stringify(body);
    if (!pendingKey || pendingKey.text !== text) pendingKey = { text, key: randomKey() };
    const btn = $('f-submit');
    btn.disabled = true;
    status.textContent = 'Submitting…';
    try {
      const r = await api('/v1/streams', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': pendingKey.key },
        body: text,
      });
      if (!r.ok) {
        status.textContent = `Not submitted: ${await errorText(r)}`;
        return;
      }
      const job = await r.json();
      pendingKey = null;
      const s = streams.get(job.id) || newStream(job.id);
      if (body.schema) {
        s.schema = body.schema;
        saveSchema(job.id, body.schema);
      }
      setStage(s, job.stage);
      if (!streams.has(job.id)) {
        const rest = [...streams];
        streams.clear();
        streams.set(job.id, s);
        for (const [k, x] of rest) streams.set(k, x);
      }
      status.textContent = `Submitted: ${job.id}`;
      subscribeAll();
      select(job.id, false);
    } catch (e) {
      status.textContent = `Not submitted: ${e.message}`;
    } finally {
      btn.disabled = false;
    }
  }

  async function cancel() {
    if (!selected) return;
    const id = selected;
    const r = await api(`/v1/streams/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch((e) => ({ ok: false, e }));
    const s = streams.get(id);
    if (!s) return;
    if (r.ok) {
      applyStatus(s, await r.json());
    } else {
      addLog(s, 'warn', `cancel failed: ${r.e ? r.e.message : await errorText(r)}`);
    }
    render();
  }

  function providerChanged() {
    const raw = $('f-provider').value === 'raw';
    $('f-url-row').hidden = !raw;
  }

  function init() {
    $('job-form').addEventListener('submit', submit);
    $('f-provider').addEventListener('change', providerChanged);
    $('d-cancel').addEventListener('click', cancel);
    providerChanged();
    const want = new URLSearchParams(location.search).get('stream');
    if (want) {
      streams.set(want, newStream(want));
      selected = want;
    }
    connect();
    poll();
    render();
  }

  init();
})();
