// Draws the report's charts from the JSON embedded in the page. Chart definitions (titles, units,
// series) come from the .NET side, so this script only knows how each kind of chart looks.
(function () {
  'use strict';
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById('report-data').textContent);

  var BASELINE = '#64748b';
  var RESIDUAL = '#1d4ed8';
  var TOLERANCE = '#dc2626';
  var OVERHEAD = '#9ca3af';

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#4b5563';
  Chart.defaults.borderColor = '#e5e7eb';
  // Static charts: drawn once, in full, so printing and screenshots never catch a half-animated frame.
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.position = 'top';
  Chart.defaults.plugins.legend.align = 'end';
  // Legend entries are line samples, dashed like their series, so baseline and coupled read apart.
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  Chart.defaults.plugins.legend.labels.pointStyle = 'line';
  Chart.defaults.plugins.legend.labels.pointStyleWidth = 30;
  // Markers on the first and last x value may overhang the plot area instead of being cut in half.
  Chart.defaults.datasets.line.clip = 6;
  Chart.defaults.plugins.tooltip.backgroundColor = 'rgba(17, 24, 39, 0.92)';

  function finite(v) { return typeof v === 'number' && isFinite(v); }

  function number(v, decimals) {
    if (!finite(v)) return '–';
    return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }

  function scientific(v) { return finite(v) ? v.toExponential(2) : '–'; }

  function axisTitle(text) { return { display: true, text: text, color: '#374151', font: { weight: '600' } }; }

  function isDecade(v) {
    var l = Math.log10(v);
    return Math.abs(l - Math.round(l)) < 1e-9;
  }

  function canvas(spec) {
    var c = document.getElementById('chart-' + spec.id);
    if (!c) throw new Error('report.html has no canvas for chart "' + spec.id + '"');
    return c;
  }

  function convergence(spec) {
    var it = data.iterations;
    // The log axis cannot show zero or negative residuals: they become gaps, as in the PNG.
    var points = it.iteration.map(function (x, i) {
      var y = it.residual[i];
      return { x: x, y: finite(y) && y > 0 ? y : null };
    });
    var tol = data.tolerance;
    var ys = points.map(function (p) { return p.y; }).filter(function (y) { return y !== null; });
    if (finite(tol) && tol > 0) ys.push(tol);
    var lo = ys.length ? Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, ys)))) : 0.1;
    var hi = ys.length ? Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, ys)))) : 1;
    if (hi <= lo) hi = lo * 10;
    var n = it.iteration.length;
    var xmin = n ? it.iteration[0] : 0;
    var xmax = Math.max(xmin + 1, n ? it.iteration[n - 1] : 1);

    var datasets = [{
      label: 'Relative residual',
      data: points,
      borderColor: RESIDUAL,
      backgroundColor: RESIDUAL,
      borderWidth: 2.5,
      pointRadius: 3.5,
      pointHoverRadius: 5,
      pointStyle: 'circle',
      spanGaps: false
    }];
    if (finite(tol) && tol > 0) {
      datasets.push({
        label: 'Tolerance ' + tol.toExponential(1),
        data: [{ x: xmin, y: tol }, { x: xmax, y: tol }],
        borderColor: TOLERANCE,
        backgroundColor: TOLERANCE,
        borderWidth: 1.75,
        borderDash: [8, 5],
        pointRadius: 0,
        pointHoverRadius: 0,
        pointStyle: 'line'
      });
    }

    return new Chart(canvas(spec), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: {
            type: 'linear', min: xmin, max: xmax, offset: false,
            title: axisTitle('Iteration'),
            ticks: { precision: 0, callback: function (v) { return String(v); } }
          },
          y: {
            type: 'logarithmic', min: lo, max: hi,
            title: axisTitle('Relative residual (log scale)'),
            ticks: { autoSkip: false, callback: function (v) { return isDecade(v) ? '1e' + Math.round(Math.log10(v)) : ''; } }
          }
        },
        plugins: {
          tooltip: {
            filter: function (item) { return item.datasetIndex === 0; },
            callbacks: {
              title: function (items) { return 'Iteration ' + items[0].parsed.x; },
              label: function (item) { return 'relative residual ' + scientific(item.parsed.y); },
              afterLabel: function (item) {
                var i = item.dataIndex;
                return ['absolute residual ' + scientific(it.absolute_residual[i]),
                        'step ' + it.method[i] + (finite(it.step_size[i]) ? ', size ' + scientific(it.step_size[i]) : '')];
              }
            }
          }
        }
      }
    });
  }

  function timing(spec) {
    var it = data.iterations;
    var datasets = it.components.map(function (c, k) {
      return {
        label: c.name,
        data: c.seconds.map(function (s) { return finite(s) ? s : 0; }),
        backgroundColor: spec.colors[k % spec.colors.length],
        stack: 'time'
      };
    });
    datasets.push({
      label: 'overhead',
      data: it.overhead_seconds.map(function (s) { return finite(s) ? s : 0; }),
      backgroundColor: OVERHEAD,
      stack: 'time'
    });
    return new Chart(canvas(spec), {
      type: 'bar',
      data: { labels: it.iteration.map(String), datasets: datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, title: axisTitle('Iteration'), grid: { display: false } },
          y: { stacked: true, beginAtZero: true, title: axisTitle('Time per iteration (s)') }
        },
        plugins: {
          legend: { labels: { usePointStyle: false, boxWidth: 14, boxHeight: 14 } },
          tooltip: {
            callbacks: {
              title: function (items) { return 'Iteration ' + items[0].label; },
              label: function (item) { return item.dataset.label + ': ' + number(item.parsed.y, 3) + ' s'; }
            }
          }
        }
      }
    });
  }

  function paths(spec) {
    var p = data.paths;
    var many = p.year.length > 30;
    var datasets = spec.series.map(function (s) {
      var baseline = s.role === 'baseline';
      return {
        label: s.label,
        data: p.year.map(function (y, i) {
          var v = p[s.column][i];
          return { x: y, y: finite(v) ? v * spec.scale : null };
        }),
        borderColor: baseline ? BASELINE : spec.color,
        backgroundColor: baseline ? BASELINE : spec.color,
        borderWidth: baseline ? 2 : 2.5,
        borderDash: baseline ? [6, 4] : [],
        pointRadius: many ? 0 : 2.5,
        pointHoverRadius: 4.5,
        pointStyle: baseline ? 'line' : 'circle',
        spanGaps: false
      };
    });
    var baseIndex = spec.series.findIndex(function (s) { return s.role === 'baseline'; });
    var coupledIndex = spec.series.findIndex(function (s) { return s.role === 'coupled'; });
    return new Chart(canvas(spec), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: {
            type: 'linear', min: p.year[0], max: p.year[p.year.length - 1],
            title: axisTitle('Year'),
            ticks: { precision: 0, callback: function (v) { return String(v); } }
          },
          y: { grace: '5%', title: axisTitle(spec.yLabel), ticks: { callback: function (v) { return number(v, spec.tickDecimals); } } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return String(items[0].parsed.x); },
              label: function (item) { return item.dataset.label + ': ' + number(item.parsed.y, spec.decimals) + (spec.unit ? ' ' + spec.unit : ''); },
              footer: function (items) {
                if (baseIndex < 0 || coupledIndex < 0) return '';
                var i = items[0].dataIndex;
                var b = datasets[baseIndex].data[i].y, c = datasets[coupledIndex].data[i].y;
                if (!finite(b) || !finite(c) || b === 0) return '';
                var d = (c / b - 1) * 100;
                return 'Coupled vs baseline: ' + (d >= 0 ? '+' : '') + d.toFixed(2) + '%';
              }
            }
          }
        }
      }
    });
  }

  var kinds = { convergence: convergence, timing: timing, paths: paths };
  var drawn = [];
  data.charts.forEach(function (spec) {
    var draw = kinds[spec.kind];
    if (!draw) throw new Error('unknown chart kind "' + spec.kind + '"');
    draw(spec);
    drawn.push(spec.id);
  });
  // Read by the browser check: every chart the page declares was constructed without throwing.
  root.setAttribute('data-charts-drawn', drawn.join(' '));
  root.setAttribute('data-charts-ready', 'true');
})();
