/* syncd charts: the plan-vs-forecast Gantt, the PV/EV S-curve and the scope burn-up, drawn with
 * Chart.js. The legends are HTML beside each canvas (sections.html), so they say what each
 * colour means rather than repeat the first bar's colour.
 * Reads the JSON in <script type="application/json" id="chart-data">; needs no network.
 * Dates travel as day numbers (days since 1970-01-01, UTC) and are shown as YYYY-MM-DD. */
(function () {
  "use strict";
  var DAY = 86400000;
  function iso(dayNumber) {
    return new Date(Math.round(dayNumber) * DAY).toISOString().slice(0, 10);
  }
  var dateTicks = { callback: function (v) { return iso(v); }, maxRotation: 0, autoSkipPadding: 12 };
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function month(dayNumber) {
    var d = new Date(Math.round(dayNumber) * DAY);
    return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  function monthAxis(g) {
    return {
      type: "linear", min: g.min, max: g.max,
      afterBuildTicks: function (scale) {
        if (g.months && g.months.length) scale.ticks = g.months.map(function (v) { return { value: v }; });
      },
      ticks: { callback: function (v) { return month(v); }, maxRotation: 0, autoSkip: true, autoSkipPadding: 10 }
    };
  }

  var todayLine = {
    id: "todayLine",
    afterDatasetsDraw: function (chart, _args, opts) {
      if (opts.day === undefined || opts.day === null) return;
      var x = chart.scales.x.getPixelForValue(opts.day);
      var area = chart.chartArea;
      if (x < area.left || x > area.right) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#c0392b";
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#c0392b";
      ctx.font = "12px system-ui, sans-serif";
      var text = "status date " + iso(opts.day - 1);
      var w = ctx.measureText(text).width;
      ctx.fillText(text, x + 4 + w > area.right ? x - 4 - w : x + 4, area.top + 12);
      ctx.restore();
    }
  };

  function gantt(canvas, g) {
    var wrap = canvas.parentNode;
    wrap.style.height = Math.max(180, 28 * g.labels.length + 70) + "px";
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: g.labels,
        datasets: [
          { label: "Baseline", data: g.baseline, backgroundColor: "rgba(127,140,141,0.45)",
            borderColor: "#7f8c8d", borderWidth: 1, barPercentage: 0.9, categoryPercentage: 0.8 },
          { label: "Forecast", data: g.forecast, backgroundColor: g.forecastColours,
            borderWidth: 0, barPercentage: 0.9, categoryPercentage: 0.8 },
          { label: "Summary (forecast)", data: g.summary || [], backgroundColor: "#243b53",
            borderWidth: 0, barPercentage: 0.45, categoryPercentage: 0.8 },
          { type: "scatter", label: "Milestone (baseline)", data: g.milestonesBaseline,
            pointStyle: "rectRot", pointRadius: 7, backgroundColor: "#ffffff",
            borderColor: "#34495e", borderWidth: 2, clip: false },
          { type: "scatter", label: "Milestone (forecast)", data: g.milestonesForecast,
            pointStyle: "rectRot", pointRadius: 7, backgroundColor: g.milestoneColours,
            borderColor: "#102a43", borderWidth: 1, clip: false }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        layout: { padding: { left: 4, right: 14, top: 8 } },
        scales: {
          x: monthAxis(g),
          y: { type: "category", labels: g.labels, stacked: false,
               ticks: { autoSkip: false, callback: function (v) {
                 var t = g.labels[v] || "";
                 return t.length > 28 ? t.slice(0, 27) + "…" : t;
               } } }
        },
        plugins: {
          todayLine: { day: g.today },
          legend: { display: false },
          tooltip: { callbacks: { label: function (c) {
            var v = c.raw;
            if (Array.isArray(v)) return c.dataset.label + ": " + iso(v[0]) + " → " + iso(v[1] - 1);
            if (v && typeof v === "object") return c.dataset.label + ": " + iso(v.x - 1);
            return c.dataset.label;
          } } }
        }
      },
      plugins: [todayLine]
    });
  }

  function scurve(canvas, s) {
    return new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          { label: s.pvFromPlan ? "PV (planned, from the plan)" : "PV (planned)", data: s.pv,
            borderColor: "#1c5d99", backgroundColor: "#1c5d99", tension: 0,
            pointRadius: s.pvFromPlan ? 0 : 2, borderWidth: 2, spanGaps: false },
          { label: "EV (earned, per snapshot)", data: s.ev, borderColor: "#1e8449",
            backgroundColor: "#1e8449", tension: 0, pointRadius: 3, pointStyle: "rect",
            borderWidth: 2, spanGaps: false }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: true,
        scales: {
          x: { type: "linear", min: s.min, max: s.max, ticks: dateTicks },
          y: { beginAtZero: true, suggestedMax: s.bac, title: { display: true, text: s.unit } }
        },
        plugins: { todayLine: { day: s.today }, legend: { display: false } }
      },
      plugins: [todayLine]
    });
  }

  function burnup(canvas, b) {
    return new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          { label: "Planned items", data: b.planned, borderColor: "#1c5d99",
            backgroundColor: "rgba(28,93,153,0.15)", fill: true, tension: 0, pointRadius: 0,
            spanGaps: false },
          { label: "Unplanned items", data: b.unplanned, borderColor: "#a84300",
            backgroundColor: "rgba(168,67,0,0.2)", fill: true, tension: 0, pointRadius: 2,
            pointStyle: "triangle", spanGaps: false }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", max: b.max, ticks: dateTicks },
          y: { beginAtZero: true, title: { display: true, text: "items" } }
        },
        plugins: { todayLine: { day: b.today }, legend: { display: false } }
      },
      plugins: [todayLine]
    });
  }

  function draw() {
    var node = document.getElementById("chart-data");
    if (!node || typeof Chart === "undefined") return;
    var data = JSON.parse(node.textContent);
    var old = window.syncdCharts || {};
    Object.keys(old).forEach(function (k) { old[k].destroy(); });
    var charts = {};
    var g = document.getElementById("gantt");
    if (g && data.gantt) charts.gantt = gantt(g, data.gantt);
    var s = document.getElementById("scurve");
    if (s && data.curve) charts.scurve = scurve(s, data.curve);
    var b = document.getElementById("burnup");
    if (b && data.burnup && data.burnup.planned.length) charts.burnup = burnup(b, data.burnup);
    window.syncdCharts = charts;
  }
  window.syncdDrawCharts = draw;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
