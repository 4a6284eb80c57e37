// kvndb web monitor. Plain browser JavaScript, no build step: it reads the router's HTTP API
// (/v1/status, /metrics, /v1/keys, /v1/kv, /v1/watch) with a session token from POST /v1/login, kept in
// this page's memory only (a reload asks for the password again).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  /** Points kept per chart: 10 minutes at one status poll a second. */
  const WINDOW = 600;
  const PAGE = 50;
  /** Bytes of a value the preview reads; the size comes from Content-Length. */
  const PREVIEW_BYTES = 64 * 1024;

  let token = '';
  let timer = null;
  let metricsTimer = null;

  // ---- API ---------------------------------------------------------------------------
  async function api(path, init = {}) {
    const headers = new Headers(init.headers || {});
    if (token) headers.set('authorization', 'Bearer ' + token);
    const res = await fetch(path, { ...init, headers, cache: 'no-store' });
    if (res.status === 401) {
      signOut('Your session ended; sign in again.');
      throw new Error('not signed in');
    }
    return res;
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      return body.message || body.error || res.statusText;
    } catch {
      return res.status + ' ' + res.statusText;
    }
  }

  // A key in a URL path: every character percent-encoded as UTF-8, "/" included.
  const keyPath = (key) => '/v1/kv/' + encodeURIComponent(key);

  // ---- login -------------------------------------------------------------------------
  async function signIn(password) {
    const res = await fetch('/v1/login', { method: 'POST', headers: { authorization: 'Bearer ' + password } });
    if (!res.ok) throw new Error(await errorText(res));
    const body = await res.json();
    token = body.token || '';
    showApp();
  }

  function signOut(message) {
    if (token) fetch('/v1/logout', { method: 'POST', headers: { authorization: 'Bearer ' + token } }).catch(() => {});
    token = '';
    stopTail();
    clearInterval(timer);
    clearInterval(metricsTimer);
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    $('password').value = '';
    $('password').focus();
  }

  function showApp() {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    initCharts();
    pollStatus();
    pollMetrics();
    timer = setInterval(pollStatus, 1000);
    metricsTimer = setInterval(pollMetrics, 2000);
    browse('', null);
    startTail();
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    try {
      await signIn($('password').value);
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });
  $('logout').addEventListener('click', () => signOut(''));

  // ---- status ------------------------------------------------------------------------
  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n;
    let i = -1;
    do {
      v /= 1024;
      i++;
    } while (v >= 1024 && i < units.length - 1);
    return v.toFixed(v < 10 ? 1 : 0) + ' ' + units[i];
  }

  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  function resyncView(r) {
    const p = r.resync;
    if (!p) return null;
    const total = p.totalKeys;
    const pct = total ? Math.min(100, (100 * p.keysDone) / Math.max(1, total)) : null;
    const bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, el('span'));
    if (pct !== null) {
      bar.setAttribute('aria-valuenow', pct.toFixed(1));
      bar.firstChild.style.width = pct.toFixed(1) + '%';
    } else {
      bar.firstChild.style.width = '0%';
    }
    let text;
    if (p.waitingForSource) text = 'waiting for an in-sync replica to copy from';
    else {
      text = (p.mode === 'full' ? 'full resync' : 'catch-up') + (p.source ? ' from ' + p.source : '') + ': ';
      text += p.keysDone.toLocaleString() + (total !== undefined ? ' / ' + total.toLocaleString() : '') + ' keys, ' + bytes(p.bytesDone);
      text += ' · ' + Math.round(p.keysPerSec).toLocaleString() + ' keys/s';
      if (p.etaMs !== undefined) text += ' · ETA ' + duration(p.etaMs);
    }
    return el('div', { class: 'progress', 'data-replica': r.name }, bar, el('p', { class: 'progress-text' }, text));
  }

  function renderReplicas(status) {
    const box = $('replicas');
    box.replaceChildren();
    for (const r of status.replicas) {
      const dl = el('dl');
      const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, String(v)));
      add('seq', r.seq.toLocaleString());
      add('lag', r.lag.toLocaleString() + ' writes' + (r.bufferedBytes ? ', ' + bytes(r.bufferedBytes) + ' unsent' : ''));
      add('reads in flight', r.inflightReads);
      add('address', r.address);
      const card = el(
        'article',
        { class: 'replica', 'data-name': r.name, 'data-state': r.state },
        el('header', {}, el('span', { class: 'name' }, r.name), el('span', { class: 'badge ' + r.state }, r.state)),
        dl,
      );
      const progress = resyncView(r);
      if (progress) card.append(progress);
      if (r.conflict) card.append(el('p', { class: 'error' }, r.conflict));
      box.append(card);
    }
    if (status.replicas.length === 0) box.append(el('p', { class: 'muted' }, 'No replica is connected.'));
    const inSync = status.replicas.filter((r) => r.state === 'in-sync').length;
    $('replica-summary').textContent = status.replicas.length + ' connected, ' + inSync + ' in sync';
  }

  async function pollStatus() {
    let status;
    try {
      const res = await api('/v1/status');
      if (!res.ok) throw new Error(await errorText(res));
      status = await res.json();
    } catch (err) {
      if (token !== '' || !$('app-view').hidden) $('banner').hidden = false;
      $('banner').textContent = 'Cannot read the router status: ' + err.message;
      return;
    }
    $('banner').hidden = !status.waitingFor;
    if (status.waitingFor) $('banner').textContent = 'Not serving: ' + status.waitingFor;
    $('version').textContent = status.version;
    $('epoch').textContent = status.epoch;
    $('seq').textContent = status.seq.toLocaleString();
    $('write-ack').textContent = status.writeAck;
    $('clients').textContent = status.clients;
    $('uptime').textContent = duration(status.uptimeMs);
    renderReplicas(status);
    pushRates(status);
  }

  // ---- charts ------------------------------------------------------------------------
  let ratesPlot = null;
  let latencyPlot = null;
  const rates = [[], [], []];
  const latency = [[], [], []];

  function chartWidth(id) {
    return Math.max(240, $(id).clientWidth || 300);
  }

  function initCharts() {
    if (ratesPlot || typeof uPlot === 'undefined') return;
    const common = (id, series) => ({
      width: chartWidth(id),
      height: 200,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      // At least the last minute on the x axis, so a first point or two do not span years.
      scales: { x: { time: true, range: (u, min, max) => [Math.min(min ?? max - 60, max - 60), max] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, ...series],
      axes: [{}, { size: 50 }],
    });
    ratesPlot = new uPlot(
      common('rates-chart', [
        { label: 'reads/s', stroke: '#2563eb', width: 2 },
        { label: 'writes/s', stroke: '#15803d', width: 2 },
      ]),
      rates,
      $('rates-chart'),
    );
    latencyPlot = new uPlot(
      common('latency-chart', [
        { label: 'mean', stroke: '#7c3aed', width: 2 },
        { label: 'p99 (est.)', stroke: '#b45309', width: 2 },
      ]),
      latency,
      $('latency-chart'),
    );
    window.addEventListener('resize', () => {
      ratesPlot.setSize({ width: chartWidth('rates-chart'), height: 200 });
      latencyPlot.setSize({ width: chartWidth('latency-chart'), height: 200 });
    });
  }

  function push(series, plot, values) {
    const now = Date.now() / 1000;
    series[0].push(now);
    values.forEach((v, i) => series[i + 1].push(v));
    if (series[0].length > WINDOW) for (const s of series) s.shift();
    if (plot) plot.setData(series);
  }

  function pushRates(status) {
    push(rates, ratesPlot, [status.ops.readsPerSec, status.ops.writesPerSec]);
  }

  // The latency histogram from /metrics: this interval's mean and an estimated p99, from the
  // difference between two scrapes, all commands together.
  let lastHist = null;
  function parseHistogram(text) {
    const buckets = new Map();
    let sum = 0;
    let count = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('kvndb_request_duration_seconds')) continue;
      const m = /^kvndb_request_duration_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/.exec(line);
      if (!m) continue;
      const v = Number(m[3]);
      if (m[1] === 'sum') sum += v;
      else if (m[1] === 'count') count += v;
      else {
        const le = /le="([^"]+)"/.exec(m[2]);
        if (le) buckets.set(le[1], (buckets.get(le[1]) || 0) + v);
      }
    }
    return { buckets, sum, count };
  }

  function p99(now, before) {
    const total = now.count - before.count;
    const bounds = [...now.buckets.keys()].filter((b) => b !== '+Inf').map(Number).sort((a, b) => a - b);
    let prevBound = 0;
    let prevCum = 0;
    for (const b of bounds) {
      const key = [...now.buckets.keys()].find((k) => Number(k) === b);
      const cum = now.buckets.get(key) - (before.buckets.get(key) || 0);
      if (cum >= 0.99 * total) {
        const inBucket = cum - prevCum;
        return prevBound + (b - prevBound) * (inBucket > 0 ? (0.99 * total - prevCum) / inBucket : 1);
      }
      prevBound = b;
      prevCum = cum;
    }
    return prevBound;
  }

  async function pollMetrics() {
    let text;
    try {
      const res = await api('/metrics');
      if (!res.ok) return;
      text = await res.text();
    } catch {
      return;
    }
    const h = parseHistogram(text);
    if (lastHist && h.count > lastHist.count) {
      const n = h.count - lastHist.count;
      push(latency, latencyPlot, [((h.sum - lastHist.sum) / n) * 1000, p99(h, lastHist) * 1000]);
    } else if (lastHist) {
      push(latency, latencyPlot, [null, null]);
    }
    lastHist = h;
  }

  // ---- key browser -------------------------------------------------------------------
  let prefix = '';
  const cursors = [null];
  let page = 0;
  let selected = null;
  /** Only the newest listing is shown: an older answer arriving late is dropped. */
  let listing = 0;

  async function browse(newPrefix, cursor) {
    prefix = newPrefix;
    const mine = ++listing;
    const q = new URLSearchParams({ prefix, limit: String(PAGE) });
    if (cursor) q.set('cursor', cursor);
    const list = $('key-list');
    let body;
    try {
      const res = await api('/v1/keys?' + q);
      if (!res.ok) throw new Error(await errorText(res));
      body = await res.json();
    } catch (err) {
      if (mine === listing) list.replaceChildren(el('li', { class: 'empty' }, 'Cannot list keys: ' + err.message));
      return;
    }
    if (mine !== listing) return;
    list.replaceChildren();
    for (const key of body.keys) {
      const b = el('button', { type: 'button', 'data-key': key }, key);
      if (key === selected) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => preview(key));
      list.append(el('li', {}, b));
    }
    if (body.keys.length === 0) list.append(el('li', { class: 'empty' }, prefix ? 'No key starts with "' + prefix + '".' : 'No keys.'));
    cursors.length = page + 1;
    cursors.push(body.cursor);
    $('next-page').disabled = !body.cursor;
    $('prev-page').disabled = page === 0;
    $('page-info').textContent = 'page ' + (page + 1);
  }

  $('browse-form').addEventListener('submit', (e) => {
    e.preventDefault();
    page = 0;
    cursors.length = 1;
    browse($('prefix').value, null);
  });
  $('next-page').addEventListener('click', () => {
    page++;
    browse(prefix, cursors[page]);
  });
  $('prev-page').addEventListener('click', () => {
    page = Math.max(0, page - 1);
    browse(prefix, cursors[page]);
  });
  const refreshPage = () => browse(prefix, cursors[page]);

  function hex(bytesView) {
    const lines = [];
    for (let i = 0; i < bytesView.length; i += 16) {
      const row = bytesView.subarray(i, i + 16);
      const h = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const a = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
      lines.push(i.toString(16).padStart(8, '0') + '  ' + h.padEnd(47) + '  ' + a);
    }
    return lines.join('\n');
  }

  async function readPrefix(res, limit) {
    const reader = res.body.getReader();
    const chunks = [];
    let got = 0;
    while (got < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
    }
    reader.cancel().catch(() => {});
    const out = new Uint8Array(Math.min(got, limit));
    let at = 0;
    for (const c of chunks) {
      const take = Math.min(c.length, out.length - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (at === out.length) break;
    }
    return out;
  }

  async function preview(key) {
    selected = key;
    for (const b of document.querySelectorAll('#key-list button')) b.setAttribute('aria-current', String(b.dataset.key === key));
    const box = $('preview');
    box.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    let res;
    try {
      res = await api(keyPath(key));
    } catch (err) {
      box.replaceChildren(el('p', { class: 'error' }, err.message));
      return;
    }
    if (!res.ok) {
      box.replaceChildren(el('p', { class: 'error' }, await errorText(res)));
      return;
    }
    const size = Number(res.headers.get('content-length') || 0);
    const data = await readPrefix(res, PREVIEW_BYTES);
    const expires = Number(res.headers.get('x-kvndb-expires') || 0);
    const meta = el(
      'div',
      { class: 'meta' },
      el('span', { class: 'preview-key' }, key),
      el('span', { class: 'preview-size' }, bytes(size)),
      el('span', { class: 'preview-type' }, res.headers.get('content-type') || ''),
      el('span', {}, 'version ' + res.headers.get('x-kvndb-version')),
      el('span', {}, 'updated ' + new Date(Number(res.headers.get('x-kvndb-updated'))).toLocaleString()),
    );
    if (expires) meta.append(el('span', {}, 'expires ' + new Date(expires).toLocaleString()));
    let text = null;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      text = null;
    }
    const pre = el('pre', { class: 'preview-value' });
    const tabs = el('div', { class: 'tabs', role: 'group', 'aria-label': 'show as' });
    const show = (mode) => {
      pre.textContent = mode === 'text' ? text : hex(data);
      for (const b of tabs.children) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    };
    for (const mode of ['text', 'hex']) {
      const b = el('button', { type: 'button', class: 'ghost', 'data-mode': mode }, mode);
      if (mode === 'text' && text === null) b.disabled = true;
      b.addEventListener('click', () => show(mode));
      tabs.append(b);
    }
    const del = el('button', { type: 'button', class: 'danger' }, 'Delete');
    del.addEventListener('click', () => removeKey(key, $('del-result')));
    box.replaceChildren(meta, tabs, pre, el('p', { class: 'muted' }, size > data.length ? 'showing the first ' + bytes(data.length) : ''), del);
    show(text === null ? 'hex' : 'text');
  }

  // ---- set and delete ----------------------------------------------------------------
  function result(id, ok, text) {
    const p = $(id);
    p.className = 'result ' + (ok ? 'ok' : 'bad');
    p.textContent = text;
  }

  $('set-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = $('set-key').value;
    const ttl = $('set-ttl').value.trim();
    try {
      const res = await api(keyPath(key) + (ttl ? '?ttl=' + encodeURIComponent(ttl) : ''), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: new TextEncoder().encode($('set-value').value),
      });
      if (!res.ok) return result('set-result', false, await errorText(res));
      const body = await res.json();
      result('set-result', true, 'Stored "' + key + '" at version ' + body.version + '.');
      await refreshPage();
      if (selected === key) preview(key);
    } catch (err) {
      result('set-result', false, err.message);
    }
  });

  async function removeKey(key, _out) {
    try {
      const res = await api(keyPath(key), { method: 'DELETE' });
      if (res.status === 404) return result('del-result', false, 'No key "' + key + '".');
      if (!res.ok) return result('del-result', false, await errorText(res));
      result('del-result', true, 'Deleted "' + key + '".');
      if (selected === key) {
        selected = null;
        $('preview').replaceChildren(el('p', { class: 'muted' }, 'Pick a key to see its value.'));
      }
      await refreshPage();
    } catch (err) {
      result('del-result', false, err.message);
    }
  }

  $('del-form').addEventListener('submit', (e) => {
    e.preventDefault();
    removeKey($('del-key').value);
  });

  // ---- live tail ---------------------------------------------------------------------
  // GET /v1/watch as Server-Sent Events, read with fetch rather than EventSource because
  // EventSource cannot send the Authorization header the session token travels in. One event
  // per write (id = its seq); a dropped stream reconnects with Last-Event-ID, so it misses
  // and repeats nothing while the router's history still holds the writes in between.
  const TAIL_MAX = 50;
  let tail = null;

  function startTail() {
    stopTail();
    const state = { abort: new AbortController(), lastId: null, retry: null };
    tail = state;
    $('tail-list').replaceChildren();
    const connect = async () => {
      if (tail !== state) return;
      const headers = {};
      if (state.lastId !== null) headers['last-event-id'] = state.lastId;
      try {
        const res = await api('/v1/watch?prefix=', { headers, signal: state.abort.signal });
        if (!res.ok) {
          const text = await errorText(res);
          // Behind the history (410): start again from now rather than retry forever.
          if (res.status === 410) state.lastId = null;
          throw new Error(text);
        }
        $('tail-status').textContent = 'Watching every key; newest first.';
        await readEvents(res.body, (ev) => onTailEvent(state, ev));
        if (tail === state) $('tail-status').textContent = 'The stream ended; reconnecting...';
      } catch (err) {
        if (tail !== state || state.abort.signal.aborted) return;
        $('tail-status').textContent = 'Live changes interrupted (' + err.message + '); reconnecting...';
      }
      if (tail === state) state.retry = setTimeout(connect, 1000);
    };
    connect();
  }

  function stopTail() {
    if (!tail) return;
    tail.abort.abort();
    clearTimeout(tail.retry);
    tail = null;
  }

  function onTailEvent(state, ev) {
    if (ev.id !== null) state.lastId = ev.id;
    if (ev.event === 'error') {
      const body = JSON.parse(ev.data);
      // COMPACTED: the writes since lastId are gone; the next connection starts from now.
      if (body.error === 'COMPACTED') state.lastId = null;
      $('tail-status').textContent = body.error + ': ' + body.message;
      return;
    }
    if (ev.event !== 'change') return;
    const body = JSON.parse(ev.data);
    const list = $('tail-list');
    for (const c of body.changes) {
      const value = c.value === null ? '' : c.encoding === 'base64' ? '(' + bytes(atob(c.value).length) + ' binary)' : c.value.length > 60 ? c.value.slice(0, 60) + '…' : c.value;
      list.prepend(
        el(
          'li',
          { 'data-seq': String(body.seq), 'data-key': c.key },
          el('span', { class: 'tail-seq' }, '#' + body.seq),
          el('span', { class: 'tail-type tail-' + c.type }, c.type),
          el('span', { class: 'tail-key' }, c.key),
          el('span', { class: 'tail-value' }, value),
        ),
      );
    }
    while (list.children.length > TAIL_MAX) list.lastElementChild.remove();
  }

  /** Parse a text/event-stream body (the WHATWG rules the route needs: id, event, data, comments). */
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ev = { id: null, event: 'message', data: '' };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          if (ev.data !== '' || ev.event !== 'message') onEvent(ev);
          ev = { id: null, event: 'message', data: '' };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') ev.id = v;
          else if (field === 'event') ev.event = v;
          else if (field === 'data') ev.data += (ev.data ? '\n' : '') + v;
        }
      }
    }
  }

  // ---- start -------------------------------------------------------------------------
  // A router without a password needs no login: /v1/login says so.
  fetch('/v1/login')
    .then((res) => (res.ok ? res.json() : { passwordRequired: true }))
    .then((body) => (body.passwordRequired === false ? showApp() : signOut('')))
    .catch(() => signOut(''));
})();
