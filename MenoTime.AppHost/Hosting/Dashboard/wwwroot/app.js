// The MenoTime dashboard: plain JavaScript, no build step. Every view reads the dashboard's JSON API
// (same origin, session cookie) and builds the DOM with textContent only, so no log line or attribute
// can ever inject markup.
'use strict';

const REFRESH_MS = 2000;
const view = document.getElementById('view');
let cleanup = () => {};

// ---- helpers ---------------------------------------------------------------------------------------

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'className') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function api(path, options) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) throw new Error('Not logged in: open the login link the AppHost printed when it started.');
  const body = (response.headers.get('content-type') || '').includes('json') ? await response.json() : null;
  if (!response.ok) throw new Error((body && (body.detail || body.title)) || `${response.status} ${response.statusText}`);
  return body;
}

// Runs load() now and every REFRESH_MS until the view changes; shows errors instead of stale data.
function poll(load, onError) {
  let stopped = false;
  let timer;
  const tick = async () => {
    try { await load(); } catch (error) { onError(error); }
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

const time = value => value ? new Date(value).toLocaleTimeString() : '';
const ms = value => value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const number = (value, digits = 2) => Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
const serviceColour = name => `svc-${[...name].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 8}`;
const stateClass = state => `badge state-${state.split(' ')[0]}`;

function keyValues(fields) {
  if (!fields || fields.length === 0) return h('span', { className: 'muted' }, 'none');
  return h('table', { className: 'kv mono' }, fields.map(f => h('tr', {}, h('td', {}, f.key), h('td', {}, f.value))));
}

function replace(container, ...children) {
  container.replaceChildren(...children.flat().filter(c => c));
}

function errorLine(container) {
  return error => replace(container, h('p', { className: 'message', role: 'alert' }, error.message));
}

// ---- resources -------------------------------------------------------------------------------------

function resourcesView(root) {
  const open = new Set();
  const message = h('div', { className: 'message', role: 'status' });
  const body = h('div');
  replace(root, h('h2', {}, 'Resources'), message, body);

  async function operate(instance, verb, button) {
    button.disabled = true;
    message.textContent = `${verb === 'stop' ? 'Stopping' : 'Restarting'} ${instance}…`;
    try {
      await api(`/api/instances/${encodeURIComponent(instance)}/${verb}`, { method: 'POST' });
      message.textContent = '';
    } catch (error) {
      message.textContent = error.message;
    } finally {
      button.disabled = false;
      load();
    }
  }

  function row(resource, instance) {
    const state = instance.state === 'exited' && instance.exitCode !== null ? `exited (code ${instance.exitCode})` : instance.state;
    const running = !['exited', 'stopped', 'finished', 'failed to start', 'not started'].includes(instance.state);
    const toggle = () => { open.has(instance.name) ? open.delete(instance.name) : open.add(instance.name); load(); };
    return [
      h('tr', { 'data-instance': instance.name, 'data-resource': resource.name },
        h('td', {}, h('b', {}, instance.name)),
        h('td', {}, resource.kind),
        h('td', {}, h('span', { className: stateClass(state), title: instance.health || '', 'data-state': instance.state }, state)),
        h('td', { className: 'mono' }, instance.processId ?? ''),
        h('td', {}, time(instance.startedAt)),
        h('td', { className: 'restarts' }, instance.restarts),
        h('td', {}, instance.endpoints.map(e => h('div', {},
          e.isLink ? h('a', { href: e.address, target: '_blank', rel: 'noopener noreferrer' }, e.address) : h('span', { className: 'mono' }, e.address)))),
        h('td', {},
          h('button', { type: 'button', onclick: toggle, 'aria-expanded': String(open.has(instance.name)) }, 'Configuration'), ' ',
          h('a', { href: `#/console/${encodeURIComponent(resource.name)}` }, 'Console'), ' ',
          resource.canRestart && h('button', { type: 'button', onclick: e => operate(instance.name, 'restart', e.target) }, running ? 'Restart' : 'Start'), ' ',
          resource.canRestart && running && h('button', { type: 'button', onclick: e => operate(instance.name, 'stop', e.target) }, 'Stop'))),
      open.has(instance.name) && h('tr', { className: 'details' }, h('td', { colspan: 8 },
        h('div', { className: 'muted' }, instance.health ? `Last health check: ${instance.health}` : ''),
        keyValues(instance.environment))),
    ];
  }

  async function load() {
    const resources = await api('/api/resources');
    replace(body, h('table', { id: 'resources' },
      h('thead', {}, h('tr', {}, ['Name', 'Kind', 'State', 'PID', 'Started', 'Restarts', 'Endpoints', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, resources.flatMap(r => r.instances.flatMap(i => row(r, i))))));
  }

  return poll(load, errorLine(body));
}

// ---- console ---------------------------------------------------------------------------------------

function consoleView(root, params) {
  const name = params[0];
  const select = h('select', { 'aria-label': 'Resource', onchange: e => { location.hash = `#/console/${encodeURIComponent(e.target.value)}`; } });
  const search = h('input', { type: 'search', placeholder: 'Search the output', 'aria-label': 'Search the output' });
  const count = h('span', { className: 'muted' });
  const output = h('div', { className: 'console', id: 'console', role: 'log' });
  replace(root, h('h2', {}, 'Console'), h('div', { className: 'toolbar' }, select, search, count), output);

  api('/api/resources').then(resources => {
    select.replaceChildren(h('option', { value: '' }, 'Choose a resource'), ...resources.map(r => h('option', { value: r.name, selected: r.name === name }, r.name)));
  }).catch(errorLine(output));
  if (!name) return () => {};

  const filter = () => {
    const text = search.value.trim().toLowerCase();
    let shown = 0;
    for (const line of output.children) {
      const match = !text || line.dataset.text.includes(text);
      line.classList.toggle('hidden', !match);
      if (match) shown++;
    }
    count.textContent = text ? `${shown} of ${output.children.length} lines match` : `${output.children.length} lines`;
  };
  search.addEventListener('input', filter);

  const source = new EventSource(`/api/resources/${encodeURIComponent(name)}/console`);
  source.onmessage = event => {
    const line = JSON.parse(event.data);
    const follow = output.scrollTop + output.clientHeight >= output.scrollHeight - 20;
    const text = search.value.trim().toLowerCase();
    const element = h('div', { className: `line${line.isError ? ' err' : ''}` },
      h('span', { className: 'muted' }, `${time(line.timestamp)} `), h('span', { className: 'src' }, `${line.source} `), line.text);
    element.dataset.text = `${line.source} ${line.text}`.toLowerCase();
    if (text && !element.dataset.text.includes(text)) element.classList.add('hidden');
    output.append(element);
    while (output.children.length > 5000) output.firstChild.remove();
    if (follow) output.scrollTop = output.scrollHeight;
    filter();
  };
  return () => source.close();
}

// ---- structured logs -------------------------------------------------------------------------------

function logsView(root, params, query) {
  const open = new Set();
  const service = h('select', { 'aria-label': 'Service' }, h('option', { value: '' }, 'All services'));
  const severity = h('select', { 'aria-label': 'Lowest level' },
    ['trace', 'debug', 'info', 'warn', 'error'].map(s => h('option', { value: s, selected: s === 'info' }, `${s} and above`)));
  const search = h('input', { type: 'search', placeholder: 'Search messages and attributes', 'aria-label': 'Search logs', value: query.get('q') || '' });
  const traceId = query.get('trace');
  const body = h('div');
  replace(root, h('h2', {}, traceId ? `Structured logs of trace ${traceId}` : 'Structured logs'),
    h('div', { className: 'toolbar' }, service, severity, search), body);
  for (const control of [service, severity, search]) control.addEventListener('input', () => load());

  async function load() {
    const parameters = new URLSearchParams({ service: service.value, severity: severity.value, q: search.value });
    if (traceId) parameters.set('traceId', traceId);
    const [logs, telemetry] = await Promise.all([api(`/api/logs?${parameters}`), api('/api/telemetry')]);
    if (service.options.length !== telemetry.services.length + 1) {
      const chosen = service.value;
      service.replaceChildren(h('option', { value: '' }, 'All services'), ...telemetry.services.map(s => h('option', { value: s, selected: s === chosen }, s)));
    }
    replace(body, h('table', { id: 'logs' },
      h('thead', {}, h('tr', {}, ['Time', 'Service', 'Level', 'Category', 'Message'].map(t => h('th', {}, t)))),
      h('tbody', {}, logs.flatMap(log => {
        const key = `${log.time}|${log.instance}|${log.message}`;
        const toggle = () => { open.has(key) ? open.delete(key) : open.add(key); load(); };
        return [
          h('tr', { className: 'clickable', onclick: toggle },
            h('td', {}, time(log.time)), h('td', {}, log.instance), h('td', {}, h('span', { className: `badge sev-${log.severity}` }, log.severity)),
            h('td', { className: 'mono' }, log.category), h('td', {}, log.message)),
          open.has(key) && h('tr', { className: 'details' }, h('td', { colspan: 5 },
            keyValues(log.attributes),
            log.traceId && h('p', {}, h('a', { href: `#/traces/${log.traceId}` }, `Trace ${log.traceId}`)))),
        ];
      }))));
  }

  return poll(load, errorLine(body));
}

// ---- traces ----------------------------------------------------------------------------------------

function tracesView(root, params, query) {
  if (params[0]) return traceView(root, params[0]);
  const search = h('input', { type: 'search', placeholder: 'Trace id, span name, service or attribute', 'aria-label': 'Search traces', value: query.get('q') || '' });
  const body = h('div');
  replace(root, h('h2', {}, 'Traces'), h('div', { className: 'toolbar' }, search), body);
  search.addEventListener('input', () => load());

  async function load() {
    const traces = await api(`/api/traces?${new URLSearchParams({ q: search.value })}`);
    replace(body, h('table', { id: 'traces' },
      h('thead', {}, h('tr', {}, ['Time', 'Name', 'Services', 'Duration', 'Spans', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, traces.map(trace => h('tr', { className: 'clickable', 'data-trace-id': trace.traceId, onclick: () => { location.hash = `#/traces/${trace.traceId}`; } },
        h('td', {}, time(trace.start)), h('td', {}, trace.name),
        h('td', {}, trace.services.map(s => h('span', { className: `badge svc-badge ${serviceColour(s)}` }, s)).flatMap(b => [b, ' '])),
        h('td', {}, ms(trace.durationMs)), h('td', {}, trace.spanCount),
        h('td', {}, trace.hasError && h('span', { className: 'badge error' }, 'error')))))));
  }

  return poll(load, errorLine(body));
}

// Where an outgoing span goes: the database system, the messaging system, the peer or the URL it called.
function target(span) {
  if (!['client', 'producer'].includes(span.kind)) return '';
  const get = key => (span.attributes.find(a => a.key === key) || {}).value;
  return get('db.system.name') || get('db.system') || get('messaging.system') || get('rpc.system') || get('server.address') || get('url.full') || '';
}

function traceView(root, traceId) {
  const open = new Set();
  const body = h('div');
  replace(root, h('p', {}, h('a', { href: '#/traces' }, '← All traces'), ' · ', h('a', { href: `#/logs?trace=${traceId}` }, 'Structured logs of this trace')), body);

  async function load() {
    const trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
    const total = Math.max(trace.summary.durationMs, 0.001);
    replace(body,
      h('h2', {}, trace.summary.name),
      h('p', { className: 'muted' }, `Trace ${trace.summary.traceId} · ${ms(trace.summary.durationMs)} · ${trace.summary.spanCount} spans · `,
        trace.summary.services.join(', ')),
      h('div', { className: 'waterfall', id: 'waterfall' }, trace.spans.flatMap(({ span, offsetMs, depth }) => {
        const toggle = () => { open.has(span.spanId) ? open.delete(span.spanId) : open.add(span.spanId); load(); };
        const label = h('div', { className: 'span-label' },
          h('span', { className: `badge svc-badge ${serviceColour(span.service)}` }, span.service), ' ',
          h('span', { className: 'span-name' }, span.name), ' ',
          target(span) && h('span', { className: 'badge span-target' }, `→ ${target(span)}`), ' ',
          span.isError && h('span', { className: 'badge error' }, 'error'));
        label.style.paddingLeft = `${0.5 + depth * 1.2}rem`;
        const left = (offsetMs / total) * 100;
        const bar = h('div', { className: `span-bar ${serviceColour(span.service)}` });
        bar.style.left = `${left}%`;
        bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.2)}%`;
        const duration = h('span', { className: 'span-time' }, ms(span.durationMs));
        const end = left + (span.durationMs / total) * 100;
        // After the bar when there is room, otherwise inside its end.
        if (end < 85) duration.style.left = `calc(${end}% + 4px)`;
        else { duration.style.right = `calc(${100 - end}% + 4px)`; duration.classList.add('inside'); }
        return [
          h('div', {
            className: `span-row${span.isError ? ' is-error' : ''}`, role: 'button', tabindex: 0, onclick: toggle,
            'data-span-id': span.spanId, 'data-depth': depth, 'data-service': span.service, 'data-kind': span.kind,
          }, label, h('div', { className: 'span-track' }, bar, duration)),
          open.has(span.spanId) && h('div', { className: 'span-details' },
            h('p', { className: 'muted' }, `${span.kind} span · ${span.scope} · instance ${span.instance} · started ${new Date(span.start).toLocaleTimeString()} (+${ms(offsetMs)})`),
            span.statusMessage && h('p', { className: 'message' }, span.statusMessage),
            keyValues(span.attributes),
            span.events.length > 0 && h('div', {}, h('h4', {}, 'Events'), span.events.map(e => h('div', {},
              h('b', {}, e.name), ' ', h('span', { className: 'muted' }, `+${ms(new Date(e.time) - new Date(span.start))}`),
              e.attributes.length > 0 && keyValues(e.attributes))))),
        ];
      })));
  }

  return poll(load, errorLine(body));
}

// ---- metrics ---------------------------------------------------------------------------------------

function metricsView(root) {
  const body = h('div');
  replace(root, h('h2', {}, 'Metrics'), body);
  const stat = (label, value) => h('div', { className: 'stat' }, h('span', {}, label), h('b', {}, value));

  async function load() {
    const overview = await api('/api/metrics');
    replace(body,
      h('div', { className: 'cards', id: 'key-metrics' }, overview.services.map(s => h('div', { className: 'card', 'data-service': s.service },
        h('h3', {}, s.service),
        stat('Requests/s (last minute)', number(s.requestsPerSecond)),
        stat('Latency p50', s.p50Ms === null ? '–' : ms(s.p50Ms)),
        stat('Latency p95', s.p95Ms === null ? '–' : ms(s.p95Ms)),
        stat('Failed requests (last minute)', s.errors),
        s.counters.map(c => stat(`${c.name} (${c.unit || 'total'})`, `${number(c.total, 0)} · ${number(c.perSecond)}/s`))))),
      h('h2', {}, 'All metrics'),
      h('table', { id: 'metrics' },
        h('thead', {}, h('tr', {}, ['Service', 'Meter', 'Name', 'Kind', 'Latest', 'Unit'].map(t => h('th', {}, t)))),
        h('tbody', {}, overview.metrics.map(m => h('tr', {},
          h('td', {}, m.service), h('td', { className: 'mono' }, m.scope), h('td', { className: 'mono' }, m.name), h('td', {}, m.kind),
          h('td', {}, m.kind === 'histogram' ? `${number(m.count, 0)} recorded` : number(m.value)), h('td', {}, m.unit))))),
      h('p', { className: 'muted' }, `${overview.seriesKept} series kept${overview.pointsDropped ? `; the series limit is reached: ${overview.pointsDropped} points of further series were dropped` : ''}.`));
  }

  return poll(load, errorLine(body));
}

// ---- navigation ------------------------------------------------------------------------------------

const views = { resources: resourcesView, console: consoleView, logs: logsView, traces: tracesView, metrics: metricsView };

function route() {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...params] = path.split('/').map(decodeURIComponent);
  const chosen = views[name] ? name : 'resources';
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === chosen);
  cleanup();
  cleanup = views[chosen](view, params.filter(p => p), new URLSearchParams(search || ''));
}

async function footer() {
  try {
    const t = await api('/api/telemetry');
    document.getElementById('footer').textContent =
      `Telemetry kept in memory: ${t.spans.kept}/${t.spans.limit} spans, ${t.logs.kept}/${t.logs.limit} log records (oldest forgotten first).`;
  } catch { /* the view shows the error */ }
}

window.addEventListener('hashchange', route);
route();
footer();
setInterval(footer, 5 * REFRESH_MS);
