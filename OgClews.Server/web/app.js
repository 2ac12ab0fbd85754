// The run service's dashboard: the list of runs with a submit form (#/), and one run's page
// (#/runs/ID) with the live convergence chart, the final paths, the sub-task table and the log.
// Plain DOM and fetch; Chart.js (window.Chart) draws. Pages poll the API while something changes.
'use strict';

const FINAL = ['Converged', 'MaxIterations', 'Diverged', 'Oscillating', 'Cancelled', 'Failed'];
const LIST_POLL_MS = 1500;
const RUN_POLL_MS = 1000;
let timer = null;
let charts = {};

// ------------------------------------------------------------------ helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function token() { return localStorage.getItem('ogclews-token') || ''; }

async function failure(r) {
  try {
    const p = await r.json();
    if (p.errors) return new Error(Object.entries(p.errors).map(([k, v]) => `${k}: ${v.join(', ')}`).join('\n'));
    return new Error(p.detail || p.title || `${r.status} ${r.statusText}`);
  } catch {
    return new Error(`${r.status} ${r.statusText}`);
  }
}

async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw await failure(r);
  return r.json();
}

async function getText(url) {
  const r = await fetch(url);
  return r.ok ? r.text() : null;
}

async function post(url, body) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token()) headers['X-OgClews-Token'] = token();
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  if (!r.ok) throw await failure(r);
  return r.json();
}

const sci = v => v === null || v === undefined ? '—' : (typeof v === 'string' ? v : v.toExponential(2));
const time = t => t ? new Date(t).toLocaleTimeString() : '—';
const badge = (status) => el('span', { class: 'badge', dataset: { status }, text: status });
const stateBadge = (state) => el('span', { class: 'badge', dataset: { state }, text: state });
const bar = (p) => el('span', { class: 'progress', title: `${Math.round(p * 100)} %` }, el('span', { style: `width:${(p * 100).toFixed(1)}%` }));

function schedule(fn, ms) {
  clearTimeout(timer);
  timer = setTimeout(fn, ms);
}

function destroyCharts() {
  for (const c of Object.values(charts)) c.destroy();
  charts = {};
}

// ------------------------------------------------------------------ list page

async function listPage() {
  const app = document.getElementById('app');
  const form = el('form', { class: 'submit', id: 'submit-form' },
    el('label', {}, 'Scenario', el('select', { id: 'f-scenario', name: 'scenario' })),
    el('label', {}, 'Method', el('select', { id: 'f-method', name: 'method' },
      el('option', { value: 'anderson', text: 'Anderson' }), el('option', { value: 'aitken', text: 'Aitken' }),
      el('option', { value: 'damped', text: 'damped' }))),
    el('label', {}, 'Tolerance', el('input', { id: 'f-tolerance', type: 'text', value: '1e-6', size: 7 })),
    el('label', {}, 'Max iterations', el('input', { id: 'f-maxit', type: 'number', min: 1, max: 10000, value: 60 })),
    el('label', {}, 'Priority (1-10)', el('input', { id: 'f-priority', type: 'number', min: 1, max: 10, value: 5 })),
    el('label', {}, 'Macro periods S', el('input', { id: 'f-macro-s', type: 'number', min: 3, max: 80, placeholder: '80' })),
    el('button', { id: 'f-submit', type: 'submit', text: 'Submit run' }));
  const error = el('div', { id: 'f-error', class: 'error' });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const body = {
      scenario: form.querySelector('#f-scenario').value,
      method: form.querySelector('#f-method').value,
      tolerance: Number(form.querySelector('#f-tolerance').value),
      maxIterations: Number(form.querySelector('#f-maxit').value),
      priority: Number(form.querySelector('#f-priority').value),
    };
    const s = form.querySelector('#f-macro-s').value;
    if (s !== '') body.macro = { S: Number(s) };
    try {
      const accepted = await post('/api/runs', body);
      location.hash = `#/runs/${accepted.id}`;
    } catch (e) {
      error.textContent = e.message;
    }
  });
  const table = el('table', { id: 'runs' }, el('thead', {}, el('tr', {},
    ['Run', 'Scenario', 'Method', 'Priority', 'Status', 'Progress', 'Iterations', 'Residual', 'Submitted', 'Queue'].map(h => el('th', { text: h })))),
    el('tbody'));
  app.replaceChildren(el('h1', { text: 'Runs' }), el('div', { class: 'card' }, form, error), table);

  try {
    const scenarios = await getJson('/api/scenarios');
    form.querySelector('#f-scenario').replaceChildren(...scenarios.map(s => el('option', { value: s.name, title: s.description, text: s.name })));
  } catch (e) {
    error.textContent = 'cannot load the scenarios: ' + e.message;
  }

  const refresh = async () => {
    if (!location.hash.startsWith('#/') || location.hash.startsWith('#/runs/')) return;
    try {
      const runs = await getJson('/api/runs?limit=200');
      table.tBodies[0].replaceChildren(...runs.map(r => el('tr', { dataset: { id: r.id, status: r.status } },
        el('td', {}, el('a', { href: `#/runs/${r.id}`, text: r.id })),
        el('td', { text: r.scenario }), el('td', { text: r.method }), el('td', { class: 'num', text: r.priority }),
        el('td', {}, badge(r.status)), el('td', {}, bar(r.progress)),
        el('td', { class: 'num', text: `${r.iterations} / ${r.maxIterations}` }), el('td', { class: 'num', text: sci(r.residual) }),
        el('td', { text: time(r.submittedAt) }), el('td', { class: 'num', text: r.queuePosition ?? '' }))));
    } catch (e) {
      error.textContent = 'cannot load the runs: ' + e.message;
    }
    schedule(refresh, LIST_POLL_MS);
  };
  await refresh();
}

// ------------------------------------------------------------------ run page

function convergenceChart(canvas) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [
      { label: 'relative residual', data: [], borderColor: '#1f6feb', backgroundColor: '#1f6feb', pointRadius: 4, tension: 0 },
      { label: 'tolerance', data: [], borderColor: '#cf222e', borderDash: [6, 4], pointRadius: 0 },
    ] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: {
        x: { title: { display: true, text: 'iteration' } },
        y: { type: 'logarithmic', title: { display: true, text: 'residual (log scale)' }, ticks: { callback: v => Number(v).toExponential(0) } },
      },
      plugins: { title: { display: true, text: 'Convergence' } },
    },
  });
}

function pathChart(canvas, title, years, series) {
  const colors = ['#8c959f', '#1f6feb', '#1a7f37', '#9a6700'];
  return new Chart(canvas, {
    type: 'line',
    data: { labels: years, datasets: series.map(([label, data], i) => ({ label, data, borderColor: colors[i], backgroundColor: colors[i], pointRadius: 2, borderDash: i === 0 ? [5, 3] : [] })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { title: { display: true, text: title } } },
  });
}

async function runPage(id) {
  const app = document.getElementById('app');
  const status = el('span', { id: 'run-status' });
  const message = el('div', { id: 'run-message', class: 'muted' });
  const error = el('div', { id: 'run-error', class: 'error' });
  const cancel = el('button', { id: 'btn-cancel', class: 'danger', text: 'Cancel run', disabled: true });
  const rerun = el('button', { id: 'btn-rerun', class: 'secondary', text: 'Rerun' });
  const report = el('a', { id: 'report-link', href: `/api/runs/${id}/report`, target: '_blank', text: 'Report', hidden: true });
  const summary = el('dl', { class: 'summary', id: 'run-summary' });
  const canvas = el('canvas', { id: 'chart-convergence', dataset: { chart: 'convergence', points: '0' } });
  const paths = el('div', { class: 'charts', id: 'paths' });
  const counts = el('div', { class: 'counts', id: 'task-counts' });
  const tasks = el('table', { id: 'tasks' }, el('thead', {}, el('tr', {},
    ['#', 'Task', 'Kernel', 'State', 'Retry', 'Queued', 'Kernel start', 'Kernel end', 'Kernel s', 'Logs', 'Error'].map(h => el('th', { text: h })))), el('tbody'));
  const log = el('pre', { class: 'log', id: 'log' });

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try { await post(`/api/runs/${id}/cancel`); } catch (e) { error.textContent = e.message; }
    refresh();
  });
  rerun.addEventListener('click', async () => {
    try { const r = await post(`/api/runs/${id}/rerun`); location.hash = `#/runs/${r.id}`; } catch (e) { error.textContent = e.message; }
  });

  app.replaceChildren(
    el('p', {}, el('a', { href: '#/', text: '← all runs' })),
    el('h1', {}, `Run ${id} `, status), message, error,
    el('div', { class: 'actions' }, cancel, rerun, report),
    el('div', { class: 'card' }, summary),
    el('div', { class: 'chart-box wide' }, canvas),
    el('h2', { id: 'paths-title', text: 'Final paths' }), paths,
    el('h2', { text: 'Kernel sub-tasks' }), counts, tasks,
    el('h2', { text: 'Run log (last 200 lines)' }), log);
  destroyCharts();
  charts.convergence = convergenceChart(canvas);
  let pathsDrawn = false;

  const refresh = async () => {
    if (location.hash !== `#/runs/${id}`) return;
    let d;
    try {
      d = await getJson(`/api/runs/${id}`);
    } catch (e) {
      error.textContent = e.message;
      schedule(refresh, RUN_POLL_MS * 3);
      return;
    }
    const r = d.run;
    status.replaceChildren(badge(r.status));
    message.textContent = r.message || '';
    error.textContent = d.error || '';
    cancel.disabled = FINAL.includes(r.status);
    report.hidden = !d.hasReport;
    summary.replaceChildren(...[
      ['Scenario', r.scenario], ['Method', r.method], ['Priority', r.priority], ['Tolerance', sci(r.tolerance)],
      ['Iterations', `${r.iterations} / ${r.maxIterations}`], ['Residual', sci(r.residual)], ['Progress', `${Math.round(r.progress * 100)} %`],
      ['Macro', Object.entries(d.macro).map(([k, v]) => `${k}=${v}`).join(', ') || 'scenario defaults'],
      ['Submitted', time(r.submittedAt)], ['Started', time(r.startedAt)], ['Finished', time(r.finishedAt)], ['Attempts', r.attempts],
    ].map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));

    const points = d.residuals.filter(p => typeof p.residual === 'number' && p.residual > 0);
    const chart = charts.convergence;
    chart.data.labels = points.map(p => p.iteration);
    chart.data.datasets[0].data = points.map(p => p.residual);
    chart.data.datasets[1].data = points.map(() => r.tolerance);
    chart.update('none');
    canvas.dataset.points = String(points.length);

    counts.replaceChildren(...Object.entries(d.taskCounts).filter(([, n]) => n > 0).map(([s, n]) => el('span', {}, stateBadge(s), ` ${n}`)));
    try {
      const list = await getJson(`/api/runs/${id}/tasks`);
      tasks.tBodies[0].replaceChildren(...list.map(t => el('tr', { dataset: { state: t.state, name: t.name } },
        el('td', { class: 'num', text: t.no }), el('td', { text: t.name + (t.attempt > 1 ? ` (attempt ${t.attempt})` : '') }),
        el('td', { text: t.kernel }), el('td', {}, stateBadge(t.state)), el('td', { class: 'num', text: t.retry }),
        el('td', { text: time(t.queuedAt) }), el('td', { text: time(t.kernelStartedAt) }), el('td', { text: time(t.kernelEndedAt) }),
        el('td', { class: 'num', text: t.kernelSeconds === null ? '—' : t.kernelSeconds.toFixed(3) }),
        el('td', {}, ...Object.entries(t.links).map(([k, href]) => [el('a', { href, target: '_blank', text: k }), ' '])),
        el('td', { class: 'wrap', text: t.error || '' }))));
    } catch (e) {
      error.textContent = e.message;
    }
    if (r.status !== 'Queued') {
      const text = await getText(`/api/runs/${id}/logs?tail=200`);
      if (text !== null) log.textContent = text;
    }

    if (FINAL.includes(r.status)) {
      if (!pathsDrawn && r.status !== 'Failed') {
        pathsDrawn = true;
        // Any run that completed an iteration has paths: the last iterate's, converged or not.
        document.getElementById('paths-title').textContent =
          r.status === 'Converged' ? 'Final paths (baseline and coupled)' : `Paths at the last iterate (${r.status})`;
        try {
          const p = (await getJson(`/api/runs/${id}/paths`)).columns;
          const specs = [
            ['gdp', 'GDP index', [['baseline', p.gdp_baseline], ['coupled', p.gdp_coupled]]],
            ['energy_demand', 'Final energy demand (PJ)', [['baseline', p.energy_demand_baseline], ['coupled', p.energy_demand_coupled]]],
            ['emissions', 'CO2 emissions (Mt)', [['baseline', p.emissions_baseline], ['coupled', p.emissions_coupled]]],
            ['interest_rate', 'Interest rate', [['baseline', p.interest_rate_baseline], ['coupled', p.interest_rate_coupled]]],
          ];
          for (const [key, title, series] of specs) {
            const c = el('canvas', { dataset: { chart: key } });
            paths.append(el('div', { class: 'chart-box' }, c));
            charts[key] = pathChart(c, title, p.year, series);
          }
        } catch (e) {
          paths.replaceChildren(el('p', { class: 'muted', text: e.message }));
        }
      }
      document.documentElement.dataset.runFinal = r.status;
      return;
    }
    schedule(refresh, RUN_POLL_MS);
  };
  await refresh();
}

// ------------------------------------------------------------------ routing

async function route() {
  clearTimeout(timer);
  delete document.documentElement.dataset.runFinal;
  const m = location.hash.match(/^#\/runs\/([0-9a-f]+)$/);
  if (m) await runPage(m[1]);
  else { destroyCharts(); await listPage(); }
}

async function health() {
  try {
    const h = await getJson('/api/health');
    document.getElementById('health').textContent = `${h.running} running · ${h.queued} queued · concurrency ${h.concurrency} · ${h.kernels} kernels`;
  } catch {
    document.getElementById('health').textContent = 'server unreachable';
  }
  setTimeout(health, 3000);
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  const input = document.getElementById('token');
  input.value = token();
  input.addEventListener('change', () => localStorage.setItem('ogclews-token', input.value.trim()));
  health();
  route();
});
