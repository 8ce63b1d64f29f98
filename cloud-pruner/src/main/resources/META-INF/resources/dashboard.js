'use strict';
/*
 * FWI fleet operator dashboard.
 *
 * Data: one live stream of snapshots (GET api/stream, Server-Sent Events; a snapshot every second and
 * on every change), whose parts are the fleet API's bodies (profiles, devices, rollouts, jobs, models,
 * bridge) plus alarms and the latest results. Latency series are kept here for 30 minutes, seeded from
 * GET api/latency-history so a page opened late still shows the recent past.
 * Actions: POST api/rollouts/{id}/{pause|resume|abort} with the operator token, which is asked for once
 * and kept in sessionStorage (this tab only).
 * Every text from the server goes into the page as text (textContent), never as HTML.
 */

const HISTORY_MS = 30 * 60 * 1000;
const MIN_WINDOW_MS = 5 * 60 * 1000;
const STALE_AFTER_MS = 5000;
const MAP_REFRESH_MS = 5000;
const MAX_DEVICE_ROWS = 500;
const MAX_ROLLOUT_CARDS = 6;
const TOKEN_KEY = 'fwi.apiToken';
const COLOURS = ['#4c9aff', '#3fb950', '#d29922', '#bc8cff', '#ff7b72', '#39c5cf', '#e3b341', '#f778ba'];
const SLO_COLOUR = '#f85149';
const ALARM_LABELS = {
  SLO_BREACH: 'Over SLO',
  DEVICES_OFFLINE: 'Devices offline',
  BRIDGE_WAITING_FOR_KAFKA: 'Bridge waiting for Kafka',
  BRIDGE_MQTT_DISCONNECTED: 'Bridge MQTT down',
  PLANNER_HELD: 'SLO out of reach',
  ROLLOUT_ABORTED: 'Rollout aborted',
  JOB_FAILED: 'Job failed',
  ROLLOUT_PAUSED: 'Rollout paused',
  FLEET_REPLAYING: 'Fleet replaying',
  PLANNING_UNAVAILABLE: 'Planning unavailable',
};

const state = {
  snapshot: null,
  lastEventAt: 0,
  series: new Map(),      // profile -> [{t, p50, p95, slo}], oldest first
  profileCards: new Map(), // profile -> {card, chart, ...}
  rolloutCards: new Map(), // rollout id -> {card, ...}
  mapTiles: new Map(),     // device id -> {tile, img, caption, seq, loadedAt}
  qualityChart: null,
  pinned: null,
  filter: '',
};

// ---------------------------------------------------------------- helpers

const $ = (selector) => document.querySelector(selector);

/** A new element; props: class, text, dataset, on<event>, other attributes. Children are nodes or text. */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const fmt = {
  ms(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '—';
    return v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(v >= 10 ? 1 : 2);
  },
  compact(n) {
    if (!n) return '—';
    const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [size, unit] of units) {
      if (Math.abs(n) >= size) return (n / size).toFixed(n / size >= 100 ? 0 : 2).replace(/\.?0+$/, '') + unit;
    }
    return String(n);
  },
  num(v, digits) {
    return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
  },
  clock(t) {
    return new Date(t).toLocaleTimeString('en-GB', {hour12: false});
  },
  ago(t, now) {
    if (!t) return 'never';
    const s = Math.max(0, Math.round((now - t) / 1000));
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
    return new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  },
  change(before, after) {
    if (!before || !after) return '';
    const pct = 100 * (after / before - 1);
    return `${pct > 0 ? '+' : '−'}${Math.abs(pct).toFixed(0)} %`;
  },
};

function pill(text, kind) {
  return el('span', {class: `pill pill-${kind}`, text});
}

function profileColour(name) {
  const names = (state.snapshot ? state.snapshot.profiles : []).map((p) => p.spec.name);
  const i = Math.max(0, names.indexOf(name));
  return COLOURS[i % COLOURS.length];
}

/** 'ok', 'warn' or 'crit' for a p95 against its SLO (warn from 85 % of it). */
function sloLevel(p95, slo) {
  if (!Number.isFinite(p95) || !slo) return '';
  if (p95 > slo) return 'crit';
  return p95 > 0.85 * slo ? 'warn' : 'ok';
}

function chartsAvailable() {
  return typeof Chart !== 'undefined';
}

// ---------------------------------------------------------------- notices and the operator token

let noticeTimer = null;

function notice(kind, text) {
  const n = $('#notice');
  n.className = `notice ${kind}`;
  n.textContent = text;
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (kind === 'ok') noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function updateTokenButton() {
  const b = $('#token-button');
  const set = Boolean(token());
  b.textContent = set ? 'Operator token: set' : 'Operator token: not set';
  b.classList.toggle('set', set);
}

/** Asks for the token; resolves to it (stored for this tab) or to null when cancelled. */
function askToken() {
  return new Promise((resolve) => {
    const dialog = $('#token-dialog');
    const input = $('#token-input');
    input.value = '';
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      const value = input.value.trim();
      if (dialog.returnValue === 'save' && value) {
        sessionStorage.setItem(TOKEN_KEY, value);
        updateTokenButton();
        resolve(value);
      } else {
        resolve(null);
      }
    }, {once: true});
    dialog.showModal();
    input.focus();
  });
}

/** Pause, resume or abort a rollout through the fleet API; 401 and 403 are shown as such. */
async function act(id, action) {
  if (action === 'abort' && !window.confirm(`Abort rollout ${id}?\nDevices that installed the new model are rolled back.`)) {
    return;
  }
  const t = token() || await askToken();
  if (!t) {
    notice('error', `No operator token given: rollout ${id} was not changed.`);
    return;
  }
  let response;
  try {
    response = await fetch(`api/rollouts/${encodeURIComponent(id)}/${action}?why=${encodeURIComponent('operator, dashboard')}`,
      {method: 'POST', headers: {Authorization: `Bearer ${t}`}});
  } catch (e) {
    notice('error', `Could not ${action} rollout ${id}: the service did not answer (${e.message}).`);
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    updateTokenButton();
    notice('error', `401 Unauthorized: the operator token was rejected, rollout ${id} was not changed. `
      + 'The token has been forgotten; enter the right one when you retry.');
    return;
  }
  if (response.status === 403) {
    notice('error', `403 Forbidden: ${body.error || 'this service does not accept changes'}. Rollout ${id} was not changed.`);
    return;
  }
  if (!response.ok) {
    notice('error', `${response.status}: ${body.error || response.statusText}. Rollout ${id} was not changed.`);
    return;
  }
  notice('ok', `Rollout ${id} is now ${body.state}${body.reason ? ` (${body.reason})` : ''}.`);
  if (state.snapshot) {
    state.snapshot.rollouts = state.snapshot.rollouts.map((r) => (r.id === body.id ? body : r));
    renderRollouts(state.snapshot);
  }
}

// ---------------------------------------------------------------- header, alarms, service

function renderSummary(s) {
  const online = s.devices.filter((d) => d.online).length;
  const over = s.profiles.filter((p) => p.recent && p.recent.p95Ms > p.sloMs).length;
  const critical = s.alarms.filter((a) => a.severity === 'CRITICAL').length;
  const warnings = s.alarms.filter((a) => a.severity === 'WARNING').length;
  const active = s.rollouts.filter((r) => r.state === 'RUNNING' || r.state === 'PAUSED').length;
  const running = s.jobs.filter((j) => j.state === 'RUNNING' || j.state === 'QUEUED').length;
  const chip = (label, value, level) => el('span', {class: `chip ${level || ''}`}, label, el('b', {text: value}));
  $('#summary').replaceChildren(
    chip('Devices online', `${online}/${s.devices.length}`, online < s.devices.length ? 'warn' : ''),
    chip('Profiles over SLO', over, over ? 'crit' : ''),
    chip('Alarms', `${critical} critical · ${warnings} warning`, critical ? 'crit' : warnings ? 'warn' : ''),
    chip('Active rollouts', active),
    chip('Jobs running', running));
}

function renderAlarms(s) {
  const list = $('#alarms');
  const serious = s.alarms.filter((a) => a.severity !== 'INFO').length;
  $('#alarm-count').textContent = s.alarms.length ? `${serious} need attention · ${s.alarms.length} in all` : '';
  if (!s.alarms.length) {
    list.replaceChildren(el('li', {class: 'all-clear', text: 'All clear: no alarms.'}));
    return;
  }
  list.replaceChildren(...s.alarms.map((a) => el('li', {class: `alarm ${a.severity}`, dataset: {kind: a.kind}},
    el('span', {class: 'sev', text: a.severity}),
    el('span', {class: 'what', title: a.subject, text: `${ALARM_LABELS[a.kind] || a.kind} · ${a.subject}`}),
    el('span', {class: 'message', text: a.message}),
    el('span', {class: 'since', text: a.sinceUnixMs ? `since ${fmt.ago(a.sinceUnixMs, s.timeUnixMs)}` : ''}))));
}

function renderService(s) {
  const sv = s.service || {};
  const rows = [];
  const b = sv.bridge;
  if (b && typeof b === 'object') {
    const forwarded = Object.values(b.forwarded || {}).reduce((x, y) => x + y, 0);
    rows.push(['Bridge: received', b.received.toLocaleString('en')],
      ['Bridge: forwarded to Kafka', forwarded.toLocaleString('en')],
      ['Bridge: waiting for Kafka', `${b.waitingForKafka} (oldest ${(b.oldestWaitingMs / 1000).toFixed(1)} s)`],
      ['Bridge: dead letters', b.deadLettered.toLocaleString('en')],
      ['Bridge: MQTT connections', `${b.mqttClientsConnected}/${b.mqttClients}`],
      ['Bridge: Kafka connection', b.kafkaConnected ? 'open' : 'down']);
  } else {
    rows.push(['Bridge', String(b || 'unknown')]);
  }
  const blocks = sv.blocks;
  if (blocks && typeof blocks === 'object') {
    for (const [k, v] of Object.entries(blocks)) {
      const words = k.replace(/([A-Z])/g, ' $1').toLowerCase();
      if (typeof v === 'number') rows.push([`OTA blocks: ${words}`, v.toLocaleString('en')]);
    }
  }
  rows.push(['Fleet state', sv.fleetCaughtUp ? 'caught up with Kafka' : 'replaying Kafka'],
    ['Duplicates removed', String(sv.duplicatesRemoved ?? '—')],
    ['Planning', String(sv.planning ?? '—'), 'wide']);
  $('#service').replaceChildren(...rows.map(([k, v, wide]) => el('div', {class: wide},
    el('dt', {text: k}), el('dd', {text: v}))));
}

// ---------------------------------------------------------------- latency per profile

function addToSeries(s) {
  for (const p of s.profiles) {
    const series = state.series.get(p.spec.name) || [];
    if (p.recent) {
      const last = series[series.length - 1];
      if (!last || last.t < s.timeUnixMs) {
        series.push({t: s.timeUnixMs, p50: p.recent.p50Ms, p95: p.recent.p95Ms, slo: p.sloMs});
      }
    }
    while (series.length && series[0].t < s.timeUnixMs - HISTORY_MS) series.shift();
    state.series.set(p.spec.name, series);
  }
}

/** Tick label of a time axis: hh:mm, with seconds on windows under ten minutes. `this` is the scale. */
function timeTick(value) {
  const d = new Date(value);
  const two = (n) => String(n).padStart(2, '0');
  const short = this.max - this.min < 10 * 60 * 1000;
  return `${two(d.getHours())}:${two(d.getMinutes())}${short ? `:${two(d.getSeconds())}` : ''}`;
}

function latencyChart(canvas, colour) {
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        {label: 'p95', data: [], borderColor: colour, backgroundColor: `${colour}33`, borderWidth: 2, fill: 'origin'},
        {label: 'p50', data: [], borderColor: '#8a96a8', borderWidth: 1.5},
        {label: 'SLO', data: [], borderColor: SLO_COLOUR, borderWidth: 1.5, borderDash: [6, 4]},
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      normalized: true,
      elements: {point: {radius: 0, hitRadius: 6}, line: {tension: 0.25}},
      interaction: {mode: 'nearest', axis: 'x', intersect: false},
      scales: {
        x: {type: 'linear', ticks: {callback: timeTick, maxTicksLimit: 7}, grid: {display: false}},
        y: {beginAtZero: true, title: {display: true, text: 'ms'}},
      },
      plugins: {
        legend: {position: 'top', align: 'end', labels: {boxWidth: 12, boxHeight: 2}},
        tooltip: {callbacks: {title: (items) => (items.length ? fmt.clock(items[0].parsed.x) : '')}},
      },
    },
  });
}

function profileCard(p) {
  const name = p.spec.name;
  let c = state.profileCards.get(name);
  if (c) return c;
  const canvas = el('canvas', {id: `latency-${name}`, 'aria-label': `p50 and p95 latency of ${name}`});
  const note = el('div', {class: 'chart-note'});
  c = {
    card: el('article', {class: 'panel profile-card', dataset: {profile: name}}),
    status: el('span'),
    meta: el('div', {class: 'profile-meta'}),
    p50: el('span', {class: 'value'}),
    p95: el('span', {class: 'value'}),
    slo: el('span', {class: 'value'}),
    inferences: el('span', {class: 'value'}),
    note,
    chart: null,
  };
  const figure = (label, value) => el('div', {class: 'figure'}, el('span', {class: 'label', text: label}), value);
  c.card.append(
    el('div', {class: 'profile-top'}, el('span', {class: 'profile-name', text: name}), c.status),
    c.meta,
    el('div', {class: 'figures'}, figure('p50', c.p50), figure('p95', c.p95), figure('SLO p95', c.slo),
      figure('inferences', c.inferences)),
    c.chartBox = el('div', {class: 'chart-box'}, canvas, note));
  $('#profiles').append(c.card);
  if (chartsAvailable()) c.chart = latencyChart(canvas, profileColour(name));
  else note.textContent = 'Charts unavailable: chart.js did not load.';
  state.profileCards.set(name, c);
  return c;
}

function setValue(node, value, unit, level) {
  node.replaceChildren(value, unit ? el('small', {text: unit}) : '');
  node.className = `value ${level || ''}`;
}

/** Profiles over their SLO first, then those with devices, then the rest; catalog order within each. */
function profileRank(p) {
  if (p.recent && p.recent.p95Ms > p.sloMs) return 0;
  return p.devices > 0 ? 1 : 2;
}

function renderProfiles(s) {
  const ordered = s.profiles.map((p, i) => ({p, i})).sort((a, b) => profileRank(a.p) - profileRank(b.p) || a.i - b.i)
    .map((x) => x.p);
  const grid = $('#profiles');
  ordered.forEach((p, i) => {
    const card = profileCard(p).card;
    if (grid.children[i] !== card) grid.insertBefore(card, grid.children[i] || null);
  });
  for (const p of ordered) {
    const c = profileCard(p);
    const r = p.recent;
    const level = r ? sloLevel(r.p95Ms, p.sloMs) : '';
    c.card.classList.toggle('breach', level === 'crit');
    c.status.replaceChildren(!r ? pill('no telemetry', 'muted')
      : level === 'crit' ? pill('over SLO', 'crit') : level === 'warn' ? pill('near SLO', 'warn') : pill('within SLO', 'ok'));
    const model = s.models.find((m) => m.profile === p.spec.name && m.current);
    c.meta.textContent = [`${p.online}/${p.devices} online`, model ? `model v${model.version}` : 'no model',
      p.jobRunning ? 'compression job running' : '', p.spec.cpuDescription].filter(Boolean).join(' · ');
    setValue(c.p50, r ? fmt.ms(r.p50Ms) : '—', r ? 'ms' : '');
    setValue(c.p95, r ? fmt.ms(r.p95Ms) : '—', r ? 'ms' : '', level);
    setValue(c.slo, fmt.ms(p.sloMs), 'ms');
    setValue(c.inferences, r ? fmt.compact(r.inferences) : '—', '');
    const series = state.series.get(p.spec.name) || [];
    c.note.textContent = series.length ? '' : (chartsAvailable() ? 'No telemetry in the retention window yet.' : c.note.textContent);
    c.chartBox.hidden = p.devices === 0 && !series.length; // nothing to draw: keep the card small
    c.card.classList.toggle('compact', c.chartBox.hidden);
    if (!c.chart) continue;
    const now = s.timeUnixMs;
    // The window grows from 5 to 30 minutes as history accumulates, so a fresh start is not a sliver.
    const from = Math.max(now - HISTORY_MS, Math.min(series.length ? series[0].t : now, now - MIN_WINDOW_MS));
    const ch = c.chart;
    ch.data.datasets[0].data = series.map((x) => ({x: x.t, y: x.p95}));
    ch.data.datasets[1].data = series.map((x) => ({x: x.t, y: x.p50}));
    ch.data.datasets[2].data = [{x: from, y: p.sloMs}, {x: now, y: p.sloMs}];
    ch.options.scales.x.min = from;
    ch.options.scales.x.max = now;
    const top = Math.max(p.sloMs, ...series.map((x) => x.p95));
    ch.options.scales.y.suggestedMax = top * 1.15;
    ch.update('none');
  }
}

// ---------------------------------------------------------------- rollouts

function rolloutCard(r) {
  let c = state.rolloutCards.get(r.id);
  if (c) return c;
  const button = (action, label, cls) => el('button', {class: `btn ${cls || ''}`, type: 'button',
    dataset: {rollout: r.id, action}, onclick: () => act(r.id, action), text: label});
  c = {
    card: el('article', {class: 'rollout', dataset: {id: r.id}}),
    state: el('span', {class: 'rollout-state'}),
    versions: el('span', {class: 'rollout-versions'}),
    stages: el('div', {class: 'stages'}),
    reason: el('div', {class: 'rollout-reason'}),
    pause: button('pause', 'Pause'),
    resume: button('resume', 'Resume'),
    abort: button('abort', 'Abort', 'btn-danger'),
  };
  c.actions = el('div', {class: 'rollout-actions'}, c.pause, c.resume, c.abort);
  c.card.append(el('div', {class: 'rollout-top'}, el('span', {class: 'rollout-title mono', text: r.id}), c.state,
    c.versions, c.actions), c.stages, c.reason);
  state.rolloutCards.set(r.id, c);
  return c;
}

function stageView(st, current, r) {
  const width = (n) => `${st.devices ? (100 * n) / st.devices : 0}%`;
  const bar = el('div', {class: 'stage-bar'},
    el('span', {class: 'installed', style: `width:${width(st.installed)}`}),
    el('span', {class: 'failed', style: `width:${width(st.failed)}`}),
    el('span', {class: 'unreachable', style: `width:${width(st.unreachable)}`}));
  const head = `Stage ${st.index} · ${Math.round(st.fraction * 100)} % of devices`;
  const detail = `${st.installed}/${st.devices} installed`
    + (st.failed ? ` · ${st.failed} failed` : '') + (st.unreachable ? ` · ${st.unreachable} unreachable` : '')
    + (st.p95Ms ? ` · p95 ${fmt.ms(st.p95Ms)} ms` : '') + ` · ${st.gate}`;
  const done = r.state === 'COMPLETED' || st.index < r.stage;
  return el('div', {class: `stage ${current ? 'current' : ''} ${done ? 'done' : ''}`, title: `${head}: ${detail}`},
    bar, el('div', {class: 'stage-label', text: head}), el('div', {class: 'stage-label detail', text: detail}));
}

const ROLLOUT_PILL = {RUNNING: 'info', PAUSED: 'warn', COMPLETED: 'ok', ABORTED: 'crit'};

function renderRollouts(s) {
  const active = (r) => r.state === 'RUNNING' || r.state === 'PAUSED';
  const ordered = [...s.rollouts].reverse().sort((a, b) => Number(active(b)) - Number(active(a)))
    .slice(0, MAX_ROLLOUT_CARDS);
  const box = $('#rollouts');
  if (!ordered.length) {
    box.replaceChildren(el('p', {class: 'empty', text: 'No rollouts in this service run.'}));
    state.rolloutCards.clear();
    return;
  }
  const cards = ordered.map((r) => {
    const c = rolloutCard(r);
    c.card.classList.toggle('finished', !active(r));
    c.state.replaceChildren(pill(r.state, ROLLOUT_PILL[r.state] || 'muted'));
    c.versions.textContent = `${r.profile} · v${r.fromVersion} → v${r.toVersion} · ${Object.keys(r.devices).length} device(s)`;
    c.stages.replaceChildren(...r.stages.map((st) => stageView(st, st.index === r.stage && active(r), r)));
    c.reason.textContent = r.reason;
    c.pause.disabled = r.state !== 'RUNNING';
    c.resume.disabled = r.state !== 'PAUSED';
    c.abort.disabled = !active(r);
    c.actions.hidden = !active(r);
    return c.card;
  });
  if (cards.some((card, i) => box.children[i] !== card) || box.children.length !== cards.length) {
    box.replaceChildren(...cards);
  }
}

// ---------------------------------------------------------------- devices

function renderDevices(s) {
  const slo = new Map(s.profiles.map((p) => [p.spec.name, p.sloMs]));
  const filter = state.filter.toLowerCase();
  const shown = s.devices
    .filter((d) => !filter || `${d.deviceId} ${d.profile} ${d.modelId} ${d.otaState}`.toLowerCase().includes(filter))
    .sort((a, b) => Number(a.online) - Number(b.online) || a.profile.localeCompare(b.profile)
      || a.deviceId.localeCompare(b.deviceId));
  const rows = shown.slice(0, MAX_DEVICE_ROWS).map((d) => {
    const level = d.lastP95Ms ? sloLevel(d.lastP95Ms, slo.get(d.profile)) : '';
    return el('tr', {class: d.deviceId === state.pinned ? 'selected' : '', dataset: {device: d.deviceId},
      onclick: () => pin(d.deviceId)},
    el('td', {}, d.online ? pill('online', 'ok') : pill('offline', 'crit')),
    el('td', {class: 'mono', text: d.deviceId}),
    el('td', {text: d.profile || '—'}),
    el('td', {}, d.modelVersion ? `v${d.modelVersion}` : '—', el('span', {class: 'sub', text: d.modelId})),
    el('td', {text: d.otaState || '—'}),
    el('td', {class: `num ${level ? `value ${level}` : ''}`, text: d.lastP95Ms ? `${fmt.ms(d.lastP95Ms)} ms` : '—'}),
    el('td', {class: 'num', text: fmt.ago(d.lastSeenUnixMs, s.timeUnixMs)}));
  });
  if (shown.length > MAX_DEVICE_ROWS) {
    rows.push(el('tr', {}, el('td', {colspan: 7, class: 'muted',
      text: `Showing ${MAX_DEVICE_ROWS} of ${shown.length}: filter to narrow.`})));
  }
  if (!rows.length) {
    rows.push(el('tr', {}, el('td', {colspan: 7, class: 'muted',
      text: s.devices.length ? 'No device matches the filter.' : 'No device has reported yet.'})));
  }
  $('#devices tbody').replaceChildren(...rows);
}

function pin(deviceId) {
  state.pinned = state.pinned === deviceId ? null : deviceId;
  if (state.snapshot) {
    renderDevices(state.snapshot);
    renderMaps(state.snapshot);
  }
}

// ---------------------------------------------------------------- compression jobs

/** The profile's field p95 on a model (by id), once its devices run it; undefined before. */
function measuredP95(s, profile, modelId) {
  const model = s.models.find((m) => m.modelId === modelId);
  const p = s.profiles.find((x) => x.spec.name === profile);
  if (!model || !p || !p.recent) return undefined;
  return p.recent.p95MsByModel[model.sha256];
}

function beforeAfter(before, after, format, lowerIsBetter) {
  if (before === undefined && after === undefined) return '—';
  const cell = [`${format(before)} → ${format(after)}`];
  if (before && after) {
    const better = lowerIsBetter ? after <= before : after >= before;
    cell.push(el('span', {class: `delta ${better ? 'good' : 'bad'}`, text: fmt.change(before, after)}));
  }
  return cell;
}

const JOB_PILL = {SUCCEEDED: 'ok', FAILED: 'crit', RUNNING: 'info', QUEUED: 'muted', CANCELLED: 'muted'};

function renderJobs(s) {
  const jobs = [...s.jobs].sort((a, b) => b.createdUnixMs - a.createdUnixMs);
  const rows = jobs.map((j) => {
    const qb = j.qualityBefore || undefined;
    const qa = j.qualityAfter || undefined;
    const measured = j.resultingModel ? measuredP95(s, j.profile, j.resultingModel) : undefined;
    const p = s.profiles.find((x) => x.spec.name === j.profile);
    const level = measured !== undefined && p ? sloLevel(measured, p.sloMs) : '';
    const active = j.state === 'RUNNING' || j.state === 'QUEUED';
    return el('tr', {dataset: {job: j.jobId}},
      el('td', {}, el('span', {class: 'mono', text: j.jobId}),
        el('span', {class: 'sub', text: `${j.requestedBy} · ${fmt.ago(j.createdUnixMs, s.timeUnixMs)}`})),
      el('td', {text: j.profile}),
      el('td', {}, pill(j.state, JOB_PILL[j.state] || 'muted'),
        el('span', {class: 'sub', text: [(active || j.state === 'FAILED') && j.phase !== 'UNSPECIFIED'
          ? j.phase.toLowerCase().replace('_', ' ') : '',
          j.retrained ? 'retrained' : '', j.resultingVersion ? `→ v${j.resultingVersion}` : ''].filter(Boolean).join(' · ')}),
        active ? el('div', {class: 'progress', title: `${j.progressPercent.toFixed(0)} %`},
          el('span', {style: `width:${Math.min(100, j.progressPercent)}%`})) : '',
        j.errorDetail ? el('span', {class: 'sub', text: j.errorDetail}) : ''),
      el('td', {class: 'num'}, beforeAfter(j.paramsBefore, j.paramsAfter, fmt.compact, true)),
      el('td', {class: 'num'}, beforeAfter(j.macsBefore, j.macsAfter, fmt.compact, true)),
      el('td', {class: 'num'}, `${fmt.ms(j.predictedP95Ms || undefined)} / `,
        el('span', {class: `value ${level}`, dataset: {measured: measured ?? ''},
          title: measured === undefined ? 'no device of the profile runs this model yet' : 'field p95 of the profile on this model',
          text: measured === undefined ? '—' : fmt.ms(measured)}), ' ms',
        p ? el('span', {class: 'sub', text: `SLO ${fmt.ms(p.sloMs)} ms`}) : ''),
      el('td', {class: 'num'}, beforeAfter(qb && qb.maeMPerS, qa && qa.maeMPerS, (v) => fmt.num(v, 1), true)),
      el('td', {class: 'num'}, beforeAfter(qb && qb.rmseMPerS, qa && qa.rmseMPerS, (v) => fmt.num(v, 1), true)),
      el('td', {class: 'num'}, beforeAfter(qb && qb.ssim, qa && qa.ssim, (v) => fmt.num(v, 3), false)));
  });
  if (!rows.length) {
    rows.push(el('tr', {}, el('td', {colspan: 9, class: 'muted',
      text: 'No compression jobs yet: the planner starts one when a profile stays over its SLO.'})));
  }
  $('#jobs tbody').replaceChildren(...rows);
}

// ---------------------------------------------------------------- quality vs latency

function qualityPoints(s) {
  const byProfile = new Map();
  const add = (profile, kind, point) => {
    if (!byProfile.has(profile)) byProfile.set(profile, {predicted: [], measured: []});
    byProfile.get(profile)[kind].push(point);
  };
  for (const m of s.models) {
    const ssim = m.quality ? m.quality.ssim : undefined;
    if (ssim === undefined) continue;
    const ratio = m.pruneRatio ?? 0;
    const label = `v${m.version} · pruned ${(ratio * 100).toFixed(0)} % · SSIM ${ssim.toFixed(3)}`;
    if (m.predictedP95Ms) add(m.profile, 'predicted', {x: m.predictedP95Ms, y: ssim, label: `${label} · predicted`});
    const measured = measuredP95(s, m.profile, m.modelId);
    if (measured !== undefined) add(m.profile, 'measured', {x: measured, y: ssim, label: `${label} · measured`});
  }
  // The unpruned base model (ratio 0): its quality is a job's "before", its latency what devices measured on it.
  for (const j of s.jobs) {
    const result = s.models.find((m) => m.modelId === j.resultingModel);
    if (!j.qualityBefore || !result || !result.baseModel) continue;
    const measured = measuredP95(s, j.profile, result.baseModel);
    if (measured !== undefined) {
      add(j.profile, 'measured', {x: measured, y: j.qualityBefore.ssim,
        label: `${result.baseModel} (base) · pruned 0 % · SSIM ${j.qualityBefore.ssim.toFixed(3)} · measured`});
    }
  }
  return byProfile;
}

function renderQuality(s) {
  const points = qualityPoints(s);
  $('#quality-empty').hidden = points.size > 0;
  if (!chartsAvailable()) return;
  const datasets = [];
  let ymin = 1;
  for (const [profile, pts] of points) {
    const colour = profileColour(profile);
    const slo = (s.profiles.find((p) => p.spec.name === profile) || {}).sloMs;
    [...pts.predicted, ...pts.measured].forEach((p) => { ymin = Math.min(ymin, p.y); });
    datasets.push({label: `${profile} predicted`, data: pts.predicted, borderColor: colour, backgroundColor: 'transparent',
      pointRadius: 5, pointBorderWidth: 2, pointStyle: 'circle'});
    datasets.push({label: `${profile} measured`, data: pts.measured, borderColor: colour, backgroundColor: colour,
      pointRadius: 6, pointStyle: 'triangle'});
    if (slo) {
      datasets.push({label: `${profile} SLO`, data: [{x: slo, y: -1, label: `${profile} SLO ${slo} ms`},
        {x: slo, y: 1, label: `${profile} SLO ${slo} ms`}], showLine: true, borderColor: colour, borderDash: [6, 4],
      borderWidth: 1.5, pointRadius: 0});
    }
  }
  const yMin = Math.max(-1, Math.floor((ymin - 0.05) * 20) / 20);
  if (!state.qualityChart) {
    state.qualityChart = new Chart($('#quality-chart'), {
      type: 'scatter',
      data: {datasets},
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: {title: {display: true, text: 'p95 latency on the profile (ms)'}, beginAtZero: true},
          y: {title: {display: true, text: 'SSIM (1 = identical to the reference)'}, max: 1, min: yMin},
        },
        plugins: {
          legend: {position: 'top', labels: {boxWidth: 10, usePointStyle: true}},
          tooltip: {callbacks: {label: (item) => item.raw.label || ''}},
        },
      },
    });
  } else {
    state.qualityChart.data.datasets = datasets;
    state.qualityChart.options.scales.y.min = yMin;
    state.qualityChart.update('none');
  }
}

// ---------------------------------------------------------------- velocity maps

function mapTile(deviceId) {
  let t = state.mapTiles.get(deviceId);
  if (t) return t;
  t = {
    tile: el('figure', {class: 'map-tile', dataset: {device: deviceId}}),
    img: el('img', {alt: `latest velocity map of ${deviceId}`, width: 420, height: 420, loading: 'lazy'}),
    caption: el('figcaption', {class: 'map-caption'}),
    seq: -1,
    loadedAt: 0,
  };
  t.img.addEventListener('error', () => { t.img.alt = `no velocity map of ${deviceId}`; });
  t.tile.style.margin = '0';
  t.tile.append(t.img, t.caption);
  state.mapTiles.set(deviceId, t);
  return t;
}

function updateTile(t, r, now) {
  if (!r.hasVelocityMap) {
    t.img.hidden = true;
  } else if (r.sequence !== t.seq && now - t.loadedAt >= MAP_REFRESH_MS) {
    t.img.hidden = false;
    t.img.src = `api/devices/${encodeURIComponent(r.deviceId)}/velocity.png?seq=${r.sequence}`;
    t.seq = r.sequence;
    t.loadedAt = now;
  }
  t.caption.replaceChildren(
    el('b', {class: 'mono', text: r.deviceId}), ` · v${r.modelVersion}`,
    el('span', {class: 'sub', text: `${r.inputId} · ${fmt.ms(r.inferenceMs)} ms`}),
    el('span', {class: 'sub', text: `${Math.round(r.minMPerS)}–${Math.round(r.maxMPerS)} m/s · ${fmt.ago(r.receivedUnixMs, now)}`}),
    r.hasVelocityMap ? '' : el('span', {class: 'sub', text: 'summary only: the agent sends no map'}));
}

let pinnedFetchAt = 0;

async function pinnedResult(now) {
  if (!state.pinned) return undefined;
  const known = state.snapshot.results.find((r) => r.deviceId === state.pinned);
  if (known) return known;
  const t = state.mapTiles.get(state.pinned);
  if (t && t.result && now - pinnedFetchAt < MAP_REFRESH_MS) return t.result;
  pinnedFetchAt = now;
  const response = await fetch(`api/devices/${encodeURIComponent(state.pinned)}/result`).catch(() => undefined);
  return response && response.ok ? response.json() : undefined;
}

async function renderMaps(s) {
  const now = s.timeUnixMs;
  const pinned = await pinnedResult(now);
  const results = [...(pinned ? [pinned] : []), ...s.results.filter((r) => r.deviceId !== state.pinned)];
  const box = $('#maps');
  if (!results.length) {
    box.replaceChildren(el('p', {class: 'empty', text: state.pinned
      ? `No result of ${state.pinned} yet.` : 'No inference results yet.'}));
    return;
  }
  const tiles = results.map((r) => {
    const t = mapTile(r.deviceId);
    t.result = r;
    t.tile.classList.toggle('pinned', r.deviceId === state.pinned);
    updateTile(t, r, now);
    return t.tile;
  });
  if (tiles.some((tile, i) => box.children[i] !== tile) || box.children.length !== tiles.length) {
    box.replaceChildren(...tiles);
  }
}

// ---------------------------------------------------------------- the live stream

function render(s) {
  state.snapshot = s;
  state.lastEventAt = Date.now();
  addToSeries(s);
  const parts = [renderSummary, renderAlarms, renderProfiles, renderRollouts, renderDevices, renderJobs, renderQuality,
    renderMaps, renderService];
  for (const part of parts) {
    // One broken part must not blank the others; renderMaps is asynchronous.
    Promise.resolve().then(() => part(s)).catch((e) => console.error(`dashboard: ${part.name} failed`, e));
  }
  $('#updated').textContent = `updated ${fmt.clock(s.timeUnixMs)}`;
}

function setConnection(text, kind) {
  const c = $('#connection');
  c.className = `pill pill-${kind}`;
  c.textContent = text;
}

async function loadHistory() {
  try {
    const response = await fetch('api/latency-history');
    if (!response.ok) return;
    const history = await response.json();
    for (const [profile, points] of Object.entries(history)) {
      state.series.set(profile, points.map((p) => ({t: p.timeUnixMs, p50: p.p50Ms, p95: p.p95Ms, slo: p.sloMs})));
    }
  } catch (e) {
    console.warn('dashboard: no latency history', e);
  }
}

function connect() {
  const source = new EventSource('api/stream');
  source.onopen = () => setConnection('Live', 'ok');
  source.onmessage = (event) => {
    setConnection('Live', 'ok');
    render(JSON.parse(event.data));
  };
  source.onerror = () => {
    setConnection('Reconnecting…', 'warn');
    if (source.readyState === EventSource.CLOSED) { // e.g. 503 before the service runs: the browser gives up
      setTimeout(connect, 3000);
    }
  };
}

function watchStaleness() {
  setInterval(() => {
    if (!state.lastEventAt) return;
    const silent = Date.now() - state.lastEventAt;
    if (silent > STALE_AFTER_MS) setConnection(`No data for ${Math.round(silent / 1000)} s`, 'crit');
  }, 1000);
}

async function main() {
  if (chartsAvailable()) {
    Chart.defaults.color = '#8a96a8';
    Chart.defaults.borderColor = 'rgba(138, 150, 168, 0.15)';
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  }
  updateTokenButton();
  $('#token-button').addEventListener('click', () => askToken());
  $('#token-cancel').addEventListener('click', () => $('#token-dialog').close('cancel'));
  $('#token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    updateTokenButton();
    $('#token-dialog').close('forget');
  });
  $('#notice').addEventListener('click', () => { $('#notice').hidden = true; });
  $('#device-filter').addEventListener('input', (e) => {
    state.filter = e.target.value.trim();
    if (state.snapshot) renderDevices(state.snapshot);
  });
  await loadHistory();
  connect();
  watchStaleness();
}

main();
