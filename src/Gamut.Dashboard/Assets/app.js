// The Gamut dashboard's page. Everything shown that came from Redis is set with textContent: job inputs, results
// and errors are text, never HTML. Live: one EventSource; the server's single poller feeds every browser.
'use strict';
(function () {
  const meta = n => document.querySelector('meta[name="' + n + '"]').content;
  const base = meta('gamut-base');
  const csrf = meta('gamut-csrf');
  const readOnly = meta('gamut-readonly') === 'true';
  const view = document.getElementById('view');
  let overview = null;
  let route = null;
  let queuesSig = '';
  const sigs = {};

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const num = n => (n ?? 0).toLocaleString('en-US');
  const when = ms => ms ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '';
  const age = ms => {
    if (ms === null || ms === undefined) return '';
    const s = Math.max(0, ms) / 1000;
    return s < 60 ? s.toFixed(1) + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  };
  const enc = encodeURIComponent;
  const jobLink = (queue, id) => el('a', { href: '#/job/' + enc(queue) + '/' + enc(id), 'data-job': id }, id);

  function flash(text, error) {
    const f = document.getElementById('flash');
    f.textContent = text;
    f.className = error ? 'error' : '';
    f.hidden = false;
    clearTimeout(flash.t);
    flash.t = setTimeout(() => { f.hidden = true; }, 6000);
  }

  async function getJson(url) {
    const r = await fetch(base + url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    const body = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  }

  async function act(action, queue, id, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    const q = '?queue=' + enc(queue) + (id ? '&id=' + enc(id) : '');
    try {
      const r = await fetch(base + '/api/actions/' + action + q, { method: 'POST', headers: { 'X-Gamut-Csrf': csrf }, credentials: 'same-origin' });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
      flash((id ? id + ': ' : '') + body.message);
      refresh(true);
    } catch (e) {
      flash(e.message, true);
    }
  }
  const button = (label, action, queue, id, cls, confirmText) =>
    readOnly ? null : el('button', { class: cls, 'data-action': action, onclick: () => act(action, queue, id, confirmText) }, label);

  // Replaces a section only when what it shows changed, so buttons under the pointer stay put between updates.
  function put(key, node, sig) {
    const old = document.getElementById(key);
    if (old && sigs[key] === sig) return;
    sigs[key] = sig;
    node.id = key;
    if (old) old.replaceWith(node); else view.append(node);
  }

  function crumbs(...parts) {
    const c = document.getElementById('crumbs');
    c.replaceChildren(...parts.flatMap((p, i) => i ? [' / ', p] : [p]));
  }

  // --- overview ------------------------------------------------------------------------------------------------
  function renderOverview() {
    crumbs('Overview');
    const o = overview;
    if (!o) return;
    put('banner', o.error ? el('div', { class: 'banner' }, 'Redis: ' + o.error) : el('div'), o.error || '');
    const d = o.deployment;
    put('deployment', d ? el('p', { class: 'deployment muted', title: (d.nodes || []).join(' ') }, d.description) : el('div'), JSON.stringify(d || null));
    put('chart', chart(o.chart || []), JSON.stringify(o.chart));
    const qs = o.queues || [];
    put('queues', el('section', {},
      el('h2', {}, 'Queues'),
      el('table', {},
        el('thead', {}, el('tr', {}, ['Queue', 'Queued', 'Delayed', 'Running', 'Failed', 'Dead-lettered', 'Succeeded', 'Duplicates', 'Reaped', ''].map((h, i) => el('th', { class: i && i < 9 ? 'n' : '' }, h)))),
        el('tbody', {}, qs.length ? qs.map(q => el('tr', { 'data-queue': q.name },
          el('td', {}, el('a', { href: '#/queue/' + enc(q.name) + '/queued/0' }, q.name), ' ', q.paused ? el('span', { class: 'tag paused' }, 'paused') : null),
          el('td', { class: 'n', 'data-col': 'queued' }, el('a', { href: '#/queue/' + enc(q.name) + '/queued/0' }, num(q.queued))),
          el('td', { class: 'n', 'data-col': 'delayed' }, el('a', { href: '#/queue/' + enc(q.name) + '/delayed/0' }, num(q.delayed))),
          el('td', { class: 'n', 'data-col': 'running' }, el('a', { href: '#/queue/' + enc(q.name) + '/running/0' }, num(q.running)), q.stuck ? el('span', { class: 'warn', title: 'held by workers whose heartbeat lapsed' }, ' +' + num(q.stuck) + ' stuck') : null),
          el('td', { class: 'n', 'data-col': 'failed' }, num(q.failed)),
          el('td', { class: 'n', 'data-col': 'dead' }, el('a', { href: '#/queue/' + enc(q.name) + '/dead/0', class: q.deadLetters ? 'bad' : '' }, num(q.deadLetters))),
          el('td', { class: 'n', 'data-col': 'succeeded' }, num(q.succeeded)),
          el('td', { class: 'n', 'data-col': 'duplicates' }, num(q.duplicates)),
          el('td', { class: 'n', 'data-col': 'reaped' }, num(q.reaped)),
          el('td', { class: 'actions' },
            q.paused ? button('Resume', 'resume', q.name) : button('Pause', 'pause', q.name),
            q.deadLetters ? button('Retry dead', 'retry-dead', q.name) : null,
            q.deadLetters ? button('Purge dead', 'purge-dead', q.name, 'danger', 'Drop every dead letter of ' + q.name + '?') : null)))
          : el('tr', {}, el('td', { colspan: 10, class: 'muted' }, 'No queues yet.'))))), JSON.stringify(qs));
    const ws = o.workers || [];
    put('workers', el('section', {},
      el('h2', {}, 'Workers'),
      el('table', {},
        el('thead', {}, el('tr', {}, ['Worker', 'Host', 'PID', 'Queues', 'Concurrency', 'Isolation', 'Current jobs', 'Heartbeat'].map(h => el('th', {}, h)))),
        el('tbody', {}, ws.length ? ws.map(w => {
          const i = (w.info && typeof w.info === 'object') ? w.info : {};
          return el('tr', { 'data-worker': w.id },
            el('td', {}, w.id), el('td', {}, i.host ?? ''), el('td', {}, i.pid ?? ''), el('td', {}, i.queues ?? ''),
            el('td', {}, i.concurrency ?? ''), el('td', {}, i.isolation ?? ''),
            el('td', {}, w.jobs.length ? w.jobs.map((j, k) => [k ? ', ' : '', jobLink(j.queue, j.id)]) : el('span', { class: 'muted' }, 'idle')),
            el('td', { class: w.alive ? 'ok' : 'bad' }, w.alive ? age(o.serverTime - w.lastSeen) + ' ago' : 'lost ' + age(o.serverTime - w.lastSeen) + ' ago'));
        }) : el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No workers seen in the last hour.'))))),
      JSON.stringify(ws.map(w => [w.id, w.alive, w.info, w.jobs, Math.round((o.serverTime - w.lastSeen) / 1000)])));
    if (o.ring) {
      put('ring', el('section', {},
        el('h2', {}, 'Ring · topology version ' + o.ring.version),
        el('table', {},
          el('thead', {}, el('tr', {}, ['Instance', 'State', 'Health', 'Version', 'Share', 'Queued', 'Delayed', 'Running', 'Pending'].map(h => el('th', {}, h)))),
          el('tbody', {}, o.ring.instances.map(r => el('tr', {},
            el('td', {}, r.instance), el('td', {}, r.state), el('td', { class: r.answers ? 'ok' : 'bad' }, r.answers ? 'answers' : 'does not answer'),
            el('td', {}, r.version ?? ''), el('td', {}, (r.share * 100).toFixed(1) + ' %'), el('td', {}, num(r.queued)), el('td', {}, num(r.delayed)),
            el('td', {}, num(r.running)), el('td', {}, num(r.pending))))))), JSON.stringify(o.ring));
    } else {
      put('ring', el('div'), '');
    }
  }

  function chart(points) {
    const ns = 'http://www.w3.org/2000/svg';
    const section = el('section', {}, el('h2', {}, 'Jobs per minute, last hour (succeeded ', el('span', { class: 'ok' }, '■'), ', failed or dead-lettered ', el('span', { class: 'bad' }, '■'), ')'));
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('viewBox', '0 0 600 100');
    svg.setAttribute('preserveAspectRatio', 'none');
    const max = Math.max(1, ...points.map(p => p[0] + p[1]));
    points.forEach((p, i) => {
      const h1 = p[0] / max * 95, h2 = p[1] / max * 95;
      for (const [cls, h, y] of [['s', h1, 100 - h1], ['f', h2, 100 - h1 - h2]]) {
        if (h <= 0) continue;
        const r = document.createElementNS(ns, 'rect');
        r.setAttribute('class', cls); r.setAttribute('x', i * 10 + 1); r.setAttribute('width', 8); r.setAttribute('y', y); r.setAttribute('height', h);
        const t = document.createElementNS(ns, 'title'); t.textContent = (60 - i) + ' min ago: ' + p[0] + ' succeeded, ' + p[1] + ' failed';
        r.append(t); svg.append(r);
      }
    });
    section.append(svg);
    return section;
  }

  // --- a queue's list ------------------------------------------------------------------------------------------
  let searchTimer = 0;
  async function renderQueue(queue, list, offset) {
    crumbs(el('a', { href: '#/' }, 'Overview'), queue);
    const count = 25;
    // A search asks the server, which reads the newest entries of the whole list (bounded), not just this page.
    const filter = (document.getElementById('filter')?.value || '').trim();
    let data;
    try { data = await getJson('/api/jobs?queue=' + enc(queue) + '&list=' + list + (filter ? '&search=' + enc(filter) : '&offset=' + offset + '&count=' + count)); }
    catch (e) { put('list', el('div', { class: 'banner' }, e.message), 'err' + e.message); return; }
    if (route.key !== ['queue', queue, list, offset].join('/')) return;
    if (filter !== (document.getElementById('filter')?.value || '').trim()) return;
    const q = (overview?.queues || []).find(x => x.name === queue);
    const tabs = el('div', { class: 'tabs' }, ['queued', 'delayed', 'running', 'dead'].map(l =>
      el('a', { href: '#/queue/' + enc(queue) + '/' + l + '/0', class: l === list ? 'current' : '' }, l + (q ? ' (' + num(l === 'dead' ? q.deadLetters : q[l]) + ')' : ''))));
    const rows = data.rows;
    const table = el('table', {},
      el('thead', {}, el('tr', {}, ['Job', 'Name', 'State', list === 'dead' ? 'Dead-lettered' : 'Created', list === 'dead' ? 'Reason' : '', ''].map(h => el('th', {}, h)))),
      el('tbody', {}, rows.length ? rows.map(r => el('tr', { 'data-row': r.id || '' },
        el('td', {}, r.id ? jobLink(r.queue, r.id) : el('span', { class: 'muted' }, '(raw entry)')),
        el('td', {}, r.name || ''), el('td', {}, r.state), el('td', {}, when(r.at)),
        el('td', {}, r.reason ? [el('span', { class: 'bad' }, r.reason), ' ', el('span', { class: 'muted' }, r.detail || '')] : (r.detail || '')),
        el('td', { class: 'actions' }, r.id && list === 'dead' ? button('Retry', 'retry', r.queue, r.id) : null,
          r.id && (list === 'queued' || list === 'delayed' || list === 'running') ? button('Cancel', 'cancel', r.queue, r.id) : null,
          r.id && list !== 'running' ? button('Delete', 'delete', r.queue, r.id, 'danger', 'Delete job ' + r.id + '?') : null)))
        : el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'Nothing here.'))));
    const pager = filter ? el('div', { class: 'toolbar' }, el('span', { class: 'muted', id: 'search-summary' },
        num(rows.length) + (rows.length === 1 ? ' match' : ' matches') + ' in the newest ' + num(data.scanned) + ' entries' +
        (data.complete ? '' : ' (older entries were not searched)'))) : el('div', { class: 'toolbar' },
      offset > 0 ? el('a', { href: '#/queue/' + enc(queue) + '/' + list + '/' + Math.max(0, offset - count) }, '← newer') : null,
      el('span', { class: 'muted' }, 'rows ' + (offset + 1) + '–' + (offset + data.rows.length)),
      data.rows.length === count ? el('a', { href: '#/queue/' + enc(queue) + '/' + list + '/' + (offset + count) }, 'older →') : null);
    if (!document.getElementById('filter')) {
      put('head', el('section', {}, el('h2', {}, 'Queue ' + queue),
        el('div', { class: 'toolbar' },
          el('input', { id: 'filter', type: 'search', placeholder: 'Search this list by id, name or input', oninput: () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => refresh(true), 300); } }),
          q?.paused ? button('Resume', 'resume', queue) : button('Pause', 'pause', queue),
          list === 'dead' ? button('Retry all dead', 'retry-dead', queue) : null,
          list === 'dead' ? button('Purge dead', 'purge-dead', queue, 'danger', 'Drop every dead letter of ' + queue + '?') : null)), 'head');
    }
    put('list', el('section', {}, tabs, table, pager), JSON.stringify([data, filter, q]));
  }

  // --- one job -------------------------------------------------------------------------------------------------
  // Every attempt the record keeps (the newest 20), newest first: the running one, then those that ended. Each text
  // (worker, error type, message, stack) is a text node.
  function attemptsTable(j) {
    const rows = j.attempts || [];
    const took = a => !a.started || !a.finished ? '' : a.finished - a.started < 1000 ? (a.finished - a.started) + ' ms' : age(a.finished - a.started);
    const cls = { ok: 'ok', failed: 'bad', dead: 'bad', retry: 'warn', lost: 'warn', running: 'tag' };
    return el('div', { id: 'attempts' },
      el('h2', {}, 'Attempts (newest first)'),
      rows.length ? el('table', {},
        el('thead', {}, el('tr', {}, ['#', 'Outcome', 'Worker', 'Host', 'PID', 'Started', 'Ended', 'Took', 'Error'].map(h => el('th', {}, h)))),
        el('tbody', {}, rows.map(a => el('tr', { 'data-attempt': a.number },
          el('td', { class: 'n' }, a.number),
          el('td', { class: cls[a.outcome] || '', 'data-col': 'outcome' }, a.outcome),
          el('td', { 'data-col': 'worker' }, a.worker || ''), el('td', {}, a.host || ''), el('td', {}, a.pid ?? ''),
          el('td', {}, when(a.started)), el('td', {}, when(a.finished)), el('td', {}, took(a)),
          el('td', { 'data-col': 'error' }, a.error ? [
            el('div', {}, el('strong', {}, a.error.type || ''), a.error.reason ? ' (' + a.error.reason + ')' : ''),
            el('div', { class: 'attempt-message' }, a.error.message || ''),
            a.error.stack ? el('details', {}, el('summary', {}, 'stack'), el('pre', { class: 'attempt-stack' }, a.error.stack)) : null] : '')))))
        : el('p', { class: 'muted' }, j.deliveries ? 'No attempt history: this job\'s attempts ended before Gamut kept one (a record written by an older version).' : 'Not run yet.'));
  }

  async function renderJob(queue, id) {
    crumbs(el('a', { href: '#/' }, 'Overview'), el('a', { href: '#/queue/' + enc(queue) + '/queued/0' }, queue), id);
    let j;
    try { j = await getJson('/api/job?queue=' + enc(queue) + '&id=' + enc(id)); }
    catch (e) { put('job', el('div', { class: 'banner' }, e.message), 'err' + e.message); return; }
    if (route.key !== ['job', queue, id].join('/')) return;
    const field = (k, v) => v === null || v === undefined || v === '' ? null : [el('dt', {}, k), el('dd', { 'data-field': k }, v)];
    const block = (title, text, name) => text ? [el('h2', {}, title), el('pre', { 'data-block': name }, text)] : null;
    const running = j.started && !j.finished && j.state === 'running' ? age(Date.now() - j.started) : null;
    put('job', el('section', {},
      el('h2', {}, 'Job ', el('span', { id: 'job-id' }, j.id)),
      el('div', { class: 'toolbar' },
        j.state === 'failed' || j.state === 'dead' ? button('Retry', 'retry', queue, id) : null,
        ['queued', 'delayed', 'running'].includes(j.state) ? button('Cancel', 'cancel', queue, id) : null,
        j.state !== 'running' ? button('Delete', 'delete', queue, id, 'danger', 'Delete job ' + id + '?') : null),
      el('dl', {},
        field('State', j.state), field('Name', j.name), field('Queue', j.queue),
        field('Attempts', j.deliveries + ' deliveries, ' + j.failures + ' failed, ' + j.lost + ' lost with their worker (max ' + j.maxAttempts + ')'),
        field('Worker', j.worker), field('Created', when(j.created)), field('Started', when(j.started)), field('Finished', when(j.finished)),
        field('Running for', running), field('Progress', j.progress), field('Cancel asked', j.cancelRequested ? 'yes' : null), field('Instance', j.instance)),
      block('Input', j.input, 'input'),
      j.error ? [el('h2', {}, j.state === 'succeeded' ? 'Last error (an earlier attempt)' : 'Error'), el('dl', {}, field('Type', j.error.type), field('Reason', j.error.reason), field('Message', j.error.message)), block('Stack', j.error.stack, 'stack')] : null,
      attemptsTable(j),
      j.command ? [el('h2', {}, 'Command'), el('dl', {}, field('Exit code', j.command.exitCode), field('Signal', j.command.signal), field('Timed out', j.command.timedOut ? 'yes' : null)),
        block('Standard output', j.command.stdout, 'stdout'), block('Standard error', j.command.stderr, 'stderr')] : block('Result', j.result, 'result')),
      JSON.stringify([j, running]));
  }

  // --- routing and live updates --------------------------------------------------------------------------------
  function parse() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'queue' && parts[1]) {
      const list = ['queued', 'delayed', 'running', 'dead'].includes(parts[2]) ? parts[2] : 'queued';
      const offset = Math.max(0, parseInt(parts[3], 10) || 0);
      return { kind: 'queue', args: [parts[1], list, offset], key: ['queue', parts[1], list, offset].join('/') };
    }
    if (parts[0] === 'job' && parts[1] && parts[2]) return { kind: 'job', args: [parts[1], parts[2]], key: ['job', parts[1], parts[2]].join('/') };
    return { kind: 'overview', args: [], key: 'overview' };
  }

  let busy = false, again = false;
  async function refresh(force) {
    if (busy) { again = true; return; }
    busy = true;
    try {
      if (route.kind === 'overview') renderOverview();
      else if (route.kind === 'queue') {
        // A search result stays until the search changes: live updates do not rerun a scan of thousands of jobs.
        if (force || !(document.getElementById('filter')?.value || '').trim()) await renderQueue(...route.args);
      }
      else await renderJob(...route.args);
    } finally {
      busy = false;
      if (again) { again = false; refresh(force); }
    }
  }

  function navigate() {
    route = parse();
    view.replaceChildren();
    for (const k of Object.keys(sigs)) delete sigs[k];
    refresh(true);
  }

  // A page kept in the back-forward cache would keep its stream open, and a browser allows six connections per host:
  // the seventh page of the dashboard would hang. The stream is closed when the page is hidden, opened when shown.
  let source = null;
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  function connect() {
    disconnect();
    const live = document.getElementById('live');
    source = new EventSource(base + '/api/events');
    source.onopen = () => { live.textContent = 'live'; live.className = 'live on'; };
    source.onmessage = m => {
      overview = JSON.parse(m.data);
      const sig = JSON.stringify([overview.queues, overview.workers?.map(w => w.jobs)]);
      const changed = sig !== queuesSig;
      queuesSig = sig;
      if (route.kind === 'overview' || changed || route.kind === 'job') refresh(false);
    };
    source.onerror = () => { live.textContent = 'reconnecting'; live.className = 'live off'; };
  }

  document.getElementById('search').addEventListener('submit', async ev => {
    ev.preventDefault();
    const id = document.getElementById('search-id').value.trim();
    if (!id) return;
    try {
      const found = await getJson('/api/find?id=' + enc(id));
      if (found.length === 0) flash('No job ' + id + ' in any queue (finished jobs expire after their result TTL).', true);
      else location.hash = '#/job/' + enc(found[0].queue) + '/' + enc(found[0].id);
    } catch (e) { flash(e.message, true); }
  });
  document.getElementById('mode').textContent = readOnly ? 'Read-only ·' : '';
  window.addEventListener('hashchange', navigate);
  navigate();
  connect();
  window.addEventListener('pagehide', disconnect);
  window.addEventListener('pageshow', ev => { if (ev.persisted) connect(); });
})();
