/*
 * image-router console: plain JavaScript, no build step, no library. Every datum comes from the
 * router's JSON endpoints on this origin (GET /admin/chain, GET /admin/generations, POST
 * /v1/images/generations, the job's event stream); text from them is set with textContent only.
 * Credentials: the admin key reaches /admin/** as the browser's own HTTP Basic credentials (asked for
 * when /console was opened, outside open sandbox mode), so this script never sees it. The optional
 * client key of "Try it" stays in its input field and is sent as a Bearer token on that call only.
 */
'use strict';
(() => {
  const CHAIN_EVERY_MS = 3000;
  const GRID_EVERY_MS = 10000;
  const PAGE = 24;
  const $ = (id) => document.getElementById(id);

  /** A new element: el('td', {class: 'num', text: '3'}, child…). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  /** A path on this origin, without any user:password the page's own URL may carry (fetch refuses those). */
  const at = (path) => new URL(path, location.origin).href;

  async function getJson(path) {
    const res = await fetch(at(path), { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const msg = body && body.error && body.error.message ? body.error.message : res.statusText;
      throw new Error(`${path}: ${res.status} ${msg}`);
    }
    return body;
  }

  function status(text, error) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!error);
  }

  const num = (v) => (v === undefined || v === null ? '—' : Number(v).toLocaleString('en', { maximumFractionDigits: 4 }));
  const badge = (text, kind) => el('span', { class: `badge ${kind || ''}`, text });

  // ---------------------------------------------------------------- chain
  const CIRCUIT = { CLOSED: 'ok', HALF_OPEN: 'warn', OPEN: 'bad', FORCED_OPEN: 'bad', DISABLED: 'warn' };
  const LEVEL = { OK: 'ok', WARN: 'warn', CRITICAL: 'bad', SKIP: 'bad' };

  function spend(p) {
    const parts = [];
    if (p.spent_today_usd !== undefined) {
      parts.push(`$${num(p.spent_today_usd)}${p.daily_budget_usd !== undefined ? ` / $${num(p.daily_budget_usd)}` : ''}`);
    }
    if (p.spent_today_credits !== undefined) {
      parts.push(`${num(p.spent_today_credits)}${p.daily_budget_credits !== undefined ? ` / ${num(p.daily_budget_credits)}` : ''} credits`);
    }
    return parts.length ? parts.join(' · ') : '—';
  }

  function chainRow(p, i) {
    const credits = p.credit_level === undefined ? el('td', { text: '—' })
      : el('td', { class: 'num' }, `${num(p.credit_balance)} `, badge(p.credit_level, LEVEL[p.credit_level]));
    const shutdown = p.model_shutdown_date === undefined ? el('td', { text: '—' })
      : el('td', {}, p.model_shutdown_date, el('small', {
        text: p.model_shutdown_days_left >= 0 ? `${p.model_shutdown_days_left} days left` : 'shut down',
      }));
    const circuit = el('td', {}, badge(p.circuit_breaker, CIRCUIT[p.circuit_breaker]),
      p.cooling_down ? el('small', { text: 'cooling down' }) : null,
      p.model_available === false ? el('small', { text: 'model unavailable' }) : null);
    return el('tr', { 'data-provider': p.name },
      el('td', { class: 'num', text: i + 1 }),
      el('th', { scope: 'row', text: p.name }),
      el('td', { text: p.type }),
      el('td', { class: 'model', text: p.model }),
      circuit,
      el('td', { class: 'num', text: num(p.rate_limit_permits) }),
      el('td', { class: 'num', text: num(p.bulkhead_available) }),
      credits,
      shutdown,
      el('td', { class: 'num', text: spend(p) }));
  }

  let sandbox = null;
  async function refreshChain() {
    try {
      if (!document.hidden) {
        const chain = await getJson('/admin/chain');
        $('chain').tBodies[0].replaceChildren(...chain.providers.map(chainRow));
        sandbox = !!chain.sandbox;
        $('mode').textContent = sandbox ? 'sandbox' : 'live';
        $('mode').className = `badge ${sandbox ? 'warn' : 'ok'}`;
        $('chain-version').textContent = `configuration v${chain.version}`;
        $('fault-field').hidden = !sandbox;
        status(`updated ${new Date().toLocaleTimeString()}`);
      }
    } catch (e) {
      status(`cannot read the chain: ${e.message}`, true);
    } finally {
      setTimeout(refreshChain, CHAIN_EVERY_MS);
    }
  }

  // ---------------------------------------------------------------- recent generations
  const cursors = [null]; // the `before` of each page shown so far; the last is the current page
  let entries = new Map();
  let shownIds = null;

  function trailText(step) {
    if (step.outcome === 'success') return `${step.provider} → success`;
    const kind = step.failure_kind + (step.outcome === 'skipped' && step.reason ? `: ${step.reason}` : '');
    return `${step.provider} → ${kind} → ${step.action}`;
  }

  function cost(g) {
    if (g.cached) return 'no cost (cached)';
    if (!g.cost) return 'cost unknown';
    return g.cost.unit === 'USD' ? `$${num(g.cost.amount)}` : `${num(g.cost.amount)} ${g.cost.unit.toLowerCase()}`;
  }

  function card(g) {
    const first = g.images[0];
    const [w, h] = g.size.split('x').map(Number);
    const picture = first.thumbnail_url
      ? el('img', { class: 'thumb', src: first.thumbnail_url, alt: g.prompt, width: w >= h ? 256 : Math.round(256 * w / h),
        height: h >= w ? 256 : Math.round(256 * h / w), decoding: 'async' })
      : el('span', { class: 'no-thumb', text: 'no thumbnail' });
    const open = el('button', { type: 'button', class: 'open', 'data-id': g.id,
      'aria-label': `Open generation ${g.id}: ${g.prompt.slice(0, 80)}` }, picture,
      g.images.length > 1 ? badge(`×${g.images.length}`, 'count') : null);
    const trail = el('ol', { class: 'trail', 'aria-label': 'Attempt trail' },
      ...(g.attempts.length ? g.attempts.map((s) => el('li', { class: s.outcome, text: trailText(s) }))
        : [el('li', { class: 'success', text: 'served from the cache' })]));
    return el('li', { class: 'card', 'data-id': g.id, 'data-request-hash': g.request_hash },
      open,
      el('div', { class: 'facts' },
        el('p', { class: 'who' }, `${g.provider} `, el('span', { class: 'model', text: g.model })),
        el('p', { text: `${g.size} · ${g.quality} · ${g.output_format} · ${cost(g)} · ${(g.duration_ms / 1000).toFixed(1)} s` }),
        el('p', {}, badge(g.cached ? 'cached' : 'generated', g.cached ? '' : 'ok'),
          g.sandbox_fault ? ` fault ${g.sandbox_fault}` : null),
        trail,
        el('p', { class: 'meta' }, el('code', { title: g.request_hash, text: `${g.request_hash.slice(0, 12)}…` }),
          ` · ${g.client} · ${new Date(g.created * 1000).toLocaleString()}`)));
  }

  async function loadPage() {
    const before = cursors[cursors.length - 1];
    const page = await getJson(`/admin/generations?limit=${PAGE}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    const ids = page.data.map((g) => g.id).join();
    if (ids !== shownIds) { // unchanged: the cards (and their loaded images) stay as they are
      entries = new Map(page.data.map((g) => [g.id, g]));
      $('grid').replaceChildren(...page.data.map(card));
      shownIds = ids;
    }
    $('grid-empty').hidden = page.data.length > 0 || cursors.length > 1;
    $('older').disabled = !page.has_more;
    $('older').dataset.next = page.last_id || '';
    $('newer').disabled = cursors.length === 1;
    $('page-label').textContent = `page ${cursors.length}`;
    return page;
  }

  async function refreshGrid() {
    try {
      if (!document.hidden && cursors.length === 1 && !$('detail').open) await loadPage();
    } catch (e) {
      status(`cannot read the generations: ${e.message}`, true);
    } finally {
      setTimeout(refreshGrid, GRID_EVERY_MS);
    }
  }

  function openDetail(id) {
    const g = entries.get(id);
    if (!g) return;
    $('detail-title').textContent = `${g.provider} · ${g.size} · ${g.id}`;
    $('detail-images').replaceChildren(...g.images.map((img, i) => el('a', { href: img.url, target: '_blank', rel: 'noopener' },
      el('img', { src: img.url, alt: `${g.prompt} (image ${i + 1} of ${g.images.length})` }))));
    $('detail-json').textContent = JSON.stringify(g, null, 2);
    $('detail').showModal();
    $('detail-close').focus();
  }

  // ---------------------------------------------------------------- try it
  function progress(text, kind) {
    $('events').append(el('li', { class: kind || '', text }));
  }

  function busy(on) {
    $('progress').setAttribute('aria-busy', on ? 'true' : 'false');
    $('progress').querySelector('.spinner').hidden = !on;
    $('generate').disabled = on;
  }

  let shownAttempts = 0; // attempts of the running job already listed (from its snapshot or its events)

  function showAttempt(a) {
    shownAttempts++;
    if (a.outcome === 'success') progress(`${a.provider}: success (${a.duration_ms} ms)`, 'done');
    else progress(`${a.provider}: ${a.outcome} ${a.failure_kind}${a.http_status ? ` (HTTP ${a.http_status})` : ''}`, 'fail');
  }

  /** The attempts of a job object not listed yet (those before the event stream started, or missed). */
  function showAttempts(job) {
    (job.attempts || []).slice(shownAttempts).forEach(showAttempt);
  }

  function describe(name, data) {
    switch (name) {
      case 'job': progress(`job ${data.id}: ${data.status}`); showAttempts(data); break;
      case 'waiting': progress(`waiting for ${data.provider}'s rate-limit permit or slot…`); break;
      case 'attempt_started': progress(`calling ${data.provider}…`); break;
      case 'accepted': progress(`${data.provider} accepted the job`); break;
      case 'attempt': showAttempt(data.attempt); break;
      case 'fallback': progress(`fallback ${data.from} → ${data.to} (${data.failure_kind})`); break;
      default: progress(name);
    }
  }

  /** Reads the job's server-sent events (fetch, not EventSource: it may need an Authorization header); resolves with the last job object. */
  async function followJob(id, headers) {
    const res = await fetch(at(`/v1/images/jobs/${encodeURIComponent(id)}/events`), { headers: { ...headers, Accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let last = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (!data.length) continue;
        const payload = JSON.parse(data.join('\n'));
        if (['succeeded', 'failed', 'cancelled'].includes(name)) {
          showAttempts(payload);
          last = payload;
        } else {
          describe(name, payload);
        }
      }
    }
    return last;
  }

  async function generate(event) {
    event.preventDefault();
    const n = Number($('n').value);
    const prompt = $('prompt').value.trim();
    if (!prompt || !(n >= 1 && n <= 4)) {
      $('events').replaceChildren(el('li', { class: 'fail', text: !prompt ? 'Write a prompt first.' : 'Images must be 1 to 4.' }));
      (!prompt ? $('prompt') : $('n')).focus();
      return;
    }
    const auth = $('client-key').value ? { Authorization: `Bearer ${$('client-key').value}` } : {};
    const asJob = $('as-job').checked;
    const headers = { 'Content-Type': 'application/json', ...auth };
    if (asJob) headers.Prefer = 'respond-async';
    if (sandbox && $('fault').value) headers['X-Sandbox-Fault'] = $('fault').value;
    if ($('no-cache').checked) headers['Cache-Control'] = 'no-cache';
    $('events').replaceChildren();
    shownAttempts = 0;
    busy(true);
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    let clock = null;
    try {
      if (!asJob) {
        const waiting = el('li', { text: 'waiting for the answer…' });
        $('events').append(waiting);
        clock = setInterval(() => { waiting.textContent = `waiting for the answer… ${seconds()} s`; }, 200);
      }
      const res = await fetch(at('/v1/images/generations'), {
        method: 'POST', headers, body: JSON.stringify({ prompt, size: $('size').value, quality: $('quality').value, n }),
      });
      const body = await res.json().catch(() => ({}));
      clearInterval(clock);
      let answer;
      if (asJob) {
        if (res.status !== 202) throw new Error(body.error ? `${res.status} ${body.error.message}` : `HTTP ${res.status}`);
        const end = await followJob(body.id, auth);
        if (!end || end.status !== 'succeeded') {
          throw new Error(end && end.error ? end.error.message : `the job ended ${end ? end.status : 'without an answer'}`);
        }
        answer = end.result;
      } else {
        ((body.router && body.router.attempts) || []).forEach(showAttempt);
        if (!res.ok) throw new Error(body.error ? `${res.status} ${body.error.message}` : `HTTP ${res.status}`);
        answer = body;
      }
      const r = answer.router;
      progress(`succeeded in ${seconds()} s: ${r.provider}${r.cached ? ' (cached)' : ''}`, 'done');
      await showInGrid(r.request_hash);
    } catch (e) {
      progress(`failed: ${e.message}`, 'fail');
    } finally {
      clearInterval(clock);
      busy(false);
    }
  }

  /** Back to the first page until the new entry is listed (its thumbnail is made just after the answer). */
  async function showInGrid(hash) {
    cursors.length = 1;
    for (let i = 0; i < 40; i++) {
      const page = await loadPage();
      if (page.data.some((g) => g.request_hash === hash)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // ---------------------------------------------------------------- wiring
  document.addEventListener('DOMContentLoaded', () => {
    $('try').addEventListener('submit', generate);
    $('grid').addEventListener('click', (e) => {
      const open = e.target.closest('button.open');
      if (open) openDetail(open.dataset.id);
    });
    $('detail-close').addEventListener('click', () => $('detail').close());
    $('older').addEventListener('click', () => {
      cursors.push($('older').dataset.next);
      loadPage().catch((e) => status(e.message, true));
    });
    $('newer').addEventListener('click', () => {
      if (cursors.length > 1) cursors.pop();
      loadPage().catch((e) => status(e.message, true));
    });
    refreshChain();
    refreshGrid();
  });
})();
