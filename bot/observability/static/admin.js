// The operator page: polls /admin/data (same-origin, the browser resends the credentials)
// and draws each plot with uPlot. No inline script: the page's CSP allows only 'self'.
"use strict";

const COLORS = ["#2f6fdb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c",
  "#5c940d", "#364fc7", "#a61e4d", "#495057", "#087f5b"];
const SENTIMENT_COLORS = { positive: "#2b8a3e", negative: "#c92a2a", neutral: "#868e96", mixed: "#e67700" };
const PLOTS = {
  turns: (d) => d.plots.turns,
  languages: (d) => d.plots.languages,
  sentiment: (d) => d.plots.sentiment,
  fallbacks: (d) => d.plots.fallbacks,
  safety: (d) => ({ ...prefixed("safety ", d.plots.safety), ...prefixed("handoffs", d.plots.handoffs, true) }),
  latency: (d) => ({ "mean ms": d.turn_mean_ms }),
};
const charts = {};

function prefixed(prefix, series, alone) {
  const out = {};
  for (const [name, values] of Object.entries(series || {})) out[alone ? prefix : prefix + name] = values;
  return out;
}

function colorFor(plot, name, index) {
  return (plot === "sentiment" && SENTIMENT_COLORS[name]) || COLORS[index % COLORS.length];
}

// Counts are stacked (each band is one series, the top edge the total); latency is a line.
function stackedData(xs, keys, seriesMap) {
  const totals = xs.map(() => 0);
  const stacked = keys.map((k) => seriesMap[k].map((v, i) => (totals[i] += v || 0)));
  return [xs, ...stacked.reverse()];
}

function draw(plot, xs, seriesMap) {
  const el = document.getElementById("plot-" + plot);
  if (Object.keys(seriesMap).length === 0) seriesMap = { none: xs.map(() => 0) };
  const keys = Object.keys(seriesMap);
  const stack = plot !== "latency";
  const data = stack ? stackedData(xs, keys, seriesMap) : [xs, ...keys.map((k) => seriesMap[k])];
  const ordered = stack ? [...keys].reverse() : keys;  // the total first: smaller bands paint over it
  const signature = ordered.join("|");
  const chart = charts[plot];
  if (chart && chart.signature === signature) {
    chart.raw = seriesMap;
    chart.uplot.setData(data);
    return;
  }
  if (chart) chart.uplot.destroy();
  const holder = { signature, raw: seriesMap };
  const opts = {
    width: Math.max(300, el.clientWidth || 440),
    height: 200,
    series: [{}, ...ordered.map((k) => {
      const color = colorFor(plot, k, keys.indexOf(k));
      return {
        label: k, stroke: color, width: 2, spanGaps: !stack, fill: stack ? color : undefined,
        points: { show: !stack, size: 6 },
        value: (u, v, si, i) => { const raw = holder.raw[k]; return raw && raw[i] != null ? raw[i] : "--"; },
      };
    })],
    axes: [{}, { size: 44 }],
    scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
  };
  holder.uplot = new uPlot(opts, data, el);
  charts[plot] = holder;
}

function showCircuits(circuits) {
  const list = document.getElementById("circuits");
  list.replaceChildren();
  for (const [engine, state] of Object.entries(circuits)) {
    const item = document.createElement("li");
    item.className = state;
    item.textContent = engine + ": " + state.replace("_", "-");
    list.append(item);
  }
  if (!list.children.length) list.textContent = "no engines reported yet";
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/admin/data", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const d = await response.json();
    for (const [plot, pick] of Object.entries(PLOTS)) draw(plot, d.minutes, pick(d));
    showCircuits(d.circuits);
    const turns = Object.values(d.plots.turns).flat().reduce((a, b) => a + b, 0);
    status.textContent = turns + " turns in the last hour · updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "true";
  } catch (error) {
    status.textContent = "could not load data: " + error.message;
  }
}

if (typeof uPlot === "undefined") {
  document.getElementById("status").textContent = "chart library missing: run `make node-deps`";
} else {
  refresh();
  setInterval(refresh, 5000);
}
