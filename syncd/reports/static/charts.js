/* syncd charts: the plan-vs-forecast Gantt and the PV/EV S-curve, drawn with Chart.js.
 * Reads the JSON in <script type="application/json" id="chart-data">; needs no network.
 * Dates travel as day numbers (days since 1970-01-01, UTC) and are shown as YYYY-MM-DD. */
(function () {
  "use strict";
  var DAY = 86400000;
  function iso(dayNumber) {
    return new Date(Math.round(dayNumber) * DAY).toISOString().slice(0, 10);
  }
  var dateTicks = { callback: function (v) { return iso(v); }, maxRotation: 0, autoSkipPadding: 12 };

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
      ctx.restore();
    }
  };

  function gantt(canvas, g) {
    var wrap = canvas.parentNode;
    wrap.style.height = Math.max(160, 26 * g.labels.length + 70) + "px";
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: g.labels,
        datasets: [
          { label: "Baseline", data: g.baseline, backgroundColor: "rgba(127,140,141,0.45)",
            borderColor: "#7f8c8d", borderWidth: 1, barPercentage: 0.9, categoryPercentage: 0.8 },
          { label: "Forecast", data: g.forecast, backgroundColor: g.forecastColours,
            borderWidth: 0, barPercentage: 0.9, categoryPercentage: 0.8 },
          { type: "scatter", label: "Milestone (baseline)", data: g.milestonesBaseline,
            pointStyle: "rectRot", pointRadius: 7, backgroundColor: "#ffffff",
            borderColor: "#34495e", borderWidth: 2 },
          { type: "scatter", label: "Milestone (forecast)", data: g.milestonesForecast,
            pointStyle: "rectRot", pointRadius: 7, backgroundColor: g.milestoneColours,
            borderColor: "#2c3e50", borderWidth: 1 }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", min: g.min, max: g.max, ticks: dateTicks },
          y: { type: "category", labels: g.labels, ticks: { autoSkip: false } }
        },
        plugins: {
          todayLine: { day: g.today },
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) {
            var v = c.raw;
            if (Array.isArray(v)) return c.dataset.label + ": " + iso(v[0]) + " → " + iso(v[1] - 1);
            if (v && typeof v === "object") return c.dataset.label + ": " + iso(v.x);
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
          { label: "PV (planned)", data: s.pv, borderColor: "#2980b9", backgroundColor: "#2980b9",
            tension: 0.2, pointRadius: 3 },
          { label: "EV (earned)", data: s.ev, borderColor: "#27ae60", backgroundColor: "#27ae60",
            tension: 0.2, pointRadius: 3 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", min: s.min, max: s.max, ticks: dateTicks },
          y: { beginAtZero: true, suggestedMax: s.bac, title: { display: true, text: s.unit } }
        },
        plugins: { todayLine: { day: s.today }, legend: { position: "bottom" } }
      },
      plugins: [todayLine]
    });
  }

  function draw() {
    var node = document.getElementById("chart-data");
    if (!node || typeof Chart === "undefined") return;
    var data = JSON.parse(node.textContent);
    var charts = {};
    var g = document.getElementById("gantt");
    if (g && data.gantt) charts.gantt = gantt(g, data.gantt);
    var s = document.getElementById("scurve");
    if (s && data.curve) charts.scurve = scurve(s, data.curve);
    window.syncdCharts = charts;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
