/*
 * Draws every dashboard chart from the JSON the server embedded next to it
 * (<script type="application/json" id="chart-...-data">, see analytics/charts.py).
 * A chart is a table: columns, rows, and the series (columns) to draw. Kinds: line,
 * bar (series may be lines on a right axis), stacked-bar, hbar, scatter, heat (a bar
 * per second coloured by its value). Chart.js is vendored under vendor/.
 */
(function () {
  "use strict";
  if (!window.Chart) return;
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.color = "#3e4c59";
  Chart.defaults.animation = false;  // figures, not motion (and steady screenshots)
  Chart.defaults.maintainAspectRatio = false;

  function mmss(seconds) {
    seconds = Math.round(Number(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }
  function percent(value) { return value === null || value === undefined ? "—" : Math.round(value * 1000) / 10 + "%"; }
  function heat(value) {  // 0..1 -> pale to dark green
    var v = Math.max(0, Math.min(1, value || 0));
    var from = [227, 241, 232], to = [23, 74, 46];
    var c = from.map(function (f, i) { return Math.round(f + (to[i] - f) * v); });
    return "rgb(" + c.join(",") + ")";
  }

  function labels(spec) {
    var cols = spec.label_columns || [spec.label_column === null || spec.label_column === undefined ? 0 : spec.label_column];
    return spec.rows.map(function (row) {
      return cols.map(function (c) { return row[c]; }).filter(function (v) { return v !== "" && v !== null; }).join(" — ");
    });
  }

  function valueAxis(spec, title, position) {
    var axis = {beginAtZero: true, position: position || undefined, title: {display: !!title, text: title}};
    if (spec.percent && position !== "right") {
      axis.ticks = {callback: function (v) { return Math.round(v * 100) + "%"; }};
      axis.suggestedMax = 1;
    }
    return axis;
  }

  function categoryAxis(spec) {
    var axis = {title: {display: !!spec.x_title, text: spec.x_title}, ticks: {autoSkip: true, maxRotation: 0}};
    if (spec.x_format === "seconds") {
      axis.ticks.callback = function (value) { return mmss(this.getLabelForValue(value)); };
    }
    return axis;
  }

  function tooltipLabel(spec) {
    return function (ctx) {
      var series = ctx.dataset.cairnSeries;
      var v = ctx.raw && typeof ctx.raw === "object" ? ctx.raw.y : ctx.raw;
      var shown = spec.percent && series && series.axis !== "y2" ? percent(v) : v;
      return ctx.dataset.label + ": " + shown;
    };
  }

  function config(spec, width) {
    var kind = spec.kind;
    // Category labels beside horizontal bars get at most ~40% of the chart's width.
    var maxChars = Math.max(12, Math.min(42, Math.floor(width * 0.4 / 6.5)));
    var names = labels(spec);
    if (kind === "scatter") {
      var flagged = [], fine = [];
      var s = spec.series[0];
      spec.rows.forEach(function (row, i) {
        var point = {x: row[spec.x_column], y: row[s.column], label: names[i], flags: row[spec.flag_column]};
        (point.flags ? flagged : fine).push(point);
      });
      return {
        type: "scatter",
        data: {datasets: [
          {label: "Items", data: fine, backgroundColor: "#3b6ea8", pointRadius: 5},
          {label: "Flagged items", data: flagged, backgroundColor: "#c0392b", pointRadius: 6, pointStyle: "triangle"}
        ]},
        options: {
          scales: {
            x: {min: 0, max: 1, title: {display: true, text: spec.x_title},
                ticks: {callback: function (v) { return Math.round(v * 100) + "%"; }}},
            y: {suggestedMin: -0.2, suggestedMax: 0.8, title: {display: true, text: spec.y_title}}
          },
          plugins: {tooltip: {callbacks: {label: function (ctx) {
            var p = ctx.raw;
            return p.label + ": " + percent(p.x) + " right, r = " + p.y.toFixed(2) + (p.flags ? " (" + p.flags + ")" : "");
          }}}}
        }
      };
    }
    var horizontal = kind === "hbar";
    var stacked = kind === "stacked-bar";
    var datasets = spec.series.map(function (s) {
      var data = spec.rows.map(function (row) { return row[s.column]; });
      var type = s.type || (kind === "line" ? "line" : "bar");
      var ds = {label: s.label, data: data, type: type, cairnSeries: s, borderColor: s.color, backgroundColor: s.color};
      if (type === "line") {
        ds.pointRadius = data.length > 60 ? 0 : 2;
        ds.borderWidth = 2;
        ds.tension = 0.15;
        ds.fill = false;
      }
      if (s.axis === "y2") ds.yAxisID = "y2";
      if (kind === "heat") {
        ds.backgroundColor = data.map(heat);
        ds.borderColor = ds.backgroundColor;
        ds.barPercentage = 1;
        ds.categoryPercentage = 1;
      }
      return ds;
    });
    var scales = {};
    if (horizontal) {
      scales.y = {ticks: {autoSkip: false, callback: function (value) {
        var text = String(this.getLabelForValue(value));
        return text.length > maxChars ? text.slice(0, maxChars - 1) + "…" : text;
      }}};
      scales.x = valueAxis(spec, spec.x_title);
    } else {
      scales.x = categoryAxis(spec);
      scales.y = valueAxis(spec, spec.y_title);
      if (stacked) { scales.x.stacked = true; scales.y.stacked = true; }
      if (spec.series.some(function (s) { return s.axis === "y2"; })) {
        scales.y2 = valueAxis(spec, spec.y2_title, "right");
        scales.y2.grid = {drawOnChartArea: false};
      }
    }
    return {
      type: kind === "line" ? "line" : "bar",
      data: {labels: names, datasets: datasets},
      options: {
        indexAxis: horizontal ? "y" : "x",
        normalized: true,
        interaction: {mode: "index", intersect: false},
        scales: scales,
        plugins: {
          legend: {display: kind !== "heat" && spec.series.length > 0},
          tooltip: {callbacks: {
            title: function (items) {
              var t = items.length ? items[0].label : "";
              return spec.x_format === "seconds" ? "at " + mmss(t) : t;
            },
            label: tooltipLabel(spec)
          }}
        }
      }
    };
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (box) {
    var source = document.getElementById(box.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    if (spec.kind === "hbar") {  // a row per bar: the box grows with the rows
      var perRow = 14 + 12 * spec.series.length;
      box.style.height = Math.max(160, spec.rows.length * perRow + 80) + "px";
    }
    var chart = new Chart(box.querySelector("canvas"), config(spec, box.clientWidth));
    box.cairnChart = chart;
  });
  document.documentElement.dataset.chartsReady = "true";  // the browser test waits for it
})();
