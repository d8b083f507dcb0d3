/**
 * report.html's charts, interactive where a browser runs scripts: the same series as the inline
 * SVG charts, drawn by uPlot (inlined: the file stays self-contained and offline) with each
 * second's values on hover, synchronised cursors, drag to zoom and double-click to zoom out, the
 * fault windows shaded and the phases marked. Without script the SVG charts are the report.
 * @module
 */
import type { RunReport } from "../harness/results/run-report.js";
import { uplotAsset } from "./uplot.js";

/** One chart: its series one value per second (null: none that second); `unit` says how values read. */
export interface ChartSpec {
  id: string;
  title: string;
  unit: "count" | "ms" | "ratio";
  series: { name: string; color: string; values: (number | null)[] }[];
  /** A state read once a second (a breaker): held across its second. */
  stepped?: boolean;
}

const STYLE = `.chart .uplot{font:12px system-ui,sans-serif}.chart .u-legend{font-size:12px;text-align:left;margin-left:50px}.chart[data-interactive] svg{display:none}
.chart-help{color:#666;font-size:12px;margin:0 0 6px}`;

// Runs in the page: plain script, no template literals or backslashes (it is itself in one).
const INIT = `(function () {
  if (typeof uPlot === "undefined") return;
  var data = JSON.parse(document.getElementById("aire-charts").textContent);
  var charts = {};
  window.aireCharts = charts;
  function fmt(unit) {
    return function (u, v) {
      if (v === null || v === undefined) return "–";
      if (unit === "ms") return v >= 1000 ? (Math.round(v / 10) / 100) + " s" : Math.round(v) + " ms";
      if (unit === "ratio") return (Math.round(v * 1000) / 10) + "%";
      return String(Math.round(v * 100) / 100);
    };
  }
  function marks(u) {
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    ctx.fillStyle = "rgba(232,208,0,0.22)";
    data.faults.forEach(function (f) {
      var x0 = Math.max(b.left, u.valToPos(f.start / 1000, "x", true));
      var x1 = Math.min(b.left + b.width, u.valToPos(f.end / 1000, "x", true));
      if (x1 > x0) ctx.fillRect(x0, b.top, x1 - x0, b.height);
    });
    ctx.strokeStyle = "#999";
    ctx.fillStyle = "#555";
    ctx.setLineDash([3, 3]);
    ctx.font = Math.round(11 * devicePixelRatio) + "px system-ui, sans-serif";
    data.phases.forEach(function (p, i) {
      var x = u.valToPos(p.start / 1000, "x", true);
      if (x < b.left - 1 || x > b.left + b.width) return;
      if (i > 0) { ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke(); }
      ctx.fillText(p.name, x + 3 * devicePixelRatio, b.top + 12 * devicePixelRatio);
    });
    ctx.restore();
  }
  data.charts.forEach(function (c) {
    var fig = document.getElementById(c.id);
    if (!fig) return;
    var svg = fig.querySelector("svg");
    var width = Math.max(300, Math.round((svg && svg.getBoundingClientRect().width) || fig.clientWidth || 900));
    var seconds = Math.max(data.seconds, c.series.reduce(function (n, s) { return Math.max(n, s.values.length); }, 0));
    // Each second's value at its middle (a state read once a second: held across it), and the run's
    // start and end as empty points, so the axis (and a zoom's reset) spans the whole run.
    var xs = c.stepped ? [] : [0];
    for (var t = 0; t < seconds; t++) xs.push(c.stepped ? t : t + 0.5);
    xs.push(seconds);
    var box = document.createElement("div");
    fig.appendChild(box);
    var opts = {
      width: width, height: 220,
      // Every value from 0 up (a ratio of 0 reads 0–100%, not 0–10000%).
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
      cursor: { sync: { key: "aire-report" }, drag: { x: true, y: false } },
      legend: { live: true },
      axes: [
        { values: function (u, vals) { return vals.map(function (v) { return v + "s"; }); } },
        { size: 64, values: function (u, vals) { var f = fmt(c.unit); return vals.map(function (v) { return f(u, v); }); } }
      ],
      series: [{ label: "t", value: function (u, v) { return v === null || v === undefined ? "–" : (Math.round(v * 10) / 10) + " s"; } }].concat(c.series.map(function (s) {
        var one = { label: s.name, stroke: s.color, width: 1.6, value: fmt(c.unit), spanGaps: false };
        if (c.stepped) one.paths = uPlot.paths.stepped({ align: 1 });
        return one;
      })),
      hooks: { drawClear: [marks] }
    };
    var rows = [xs].concat(c.series.map(function (s) {
      var v = s.values.slice(0, seconds);
      while (v.length < seconds) v.push(null);
      return (c.stepped ? [] : [null]).concat(v, [null]);
    }));
    charts[c.id] = new uPlot(opts, rows, box);
    fig.setAttribute("data-interactive", "uplot");
  });
  var help = document.getElementById("chart-help");
  if (help) help.hidden = false;
})();`;

/** Said above the charts, shown only when they are interactive. */
export const chartHelp = `<p class="chart-help" id="chart-help" hidden>Hover a chart for each second's values; drag across it to zoom, double-click to zoom out.</p>`;

/** The interactive layer of report.html's charts (after them): uPlot and the data, inlined. */
export function interactiveCharts(specs: readonly ChartSpec[], report: RunReport): string {
  const end = report.timeline.end;
  const data = {
    seconds: Math.max(1, Math.ceil(end / 1000)),
    charts: specs,
    faults: report.timeline.faults.map((f) => ({ start: f.start, end: f.end ?? end })),
    phases: report.timeline.phases.map((p) => ({ name: p.name, start: p.start })),
  };
  // JSON inside a script element: "<" escaped, so no "</script>" can end it early.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<style>${uplotAsset("css")}${STYLE}</style><script type="application/json" id="aire-charts">${json}</script><script>${uplotAsset("js")}</script><script>${INIT}</script>`;
}
