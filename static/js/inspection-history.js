/* A point's score rate across rounds (ECharts, served locally). */
(function () {
  "use strict";
  var el = document.getElementById("history-chart");
  if (!el || !window.echarts) return;
  var data = JSON.parse(document.getElementById(el.dataset.configId).textContent);
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 40, right: 12, top: 12, bottom: 40 },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v.toFixed(1) + "%"; } },
    xAxis: { type: "category", data: data.map(function (d) { return d.date; }) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{
      type: "line", name: "得分率", smooth: true,
      data: data.map(function (d) { return +(d.rate * 100).toFixed(1); }),
      markLine: { silent: true, data: [{ yAxis: 90 }, { yAxis: 75 }] },
    }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
