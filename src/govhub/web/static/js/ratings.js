// Public ratings page: the satisfaction rate of each matter, department or division as bars.
(function () {
  "use strict";
  var source = document.getElementById("ratings-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(document.getElementById("ratings-chart"));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
    grid: { left: 48, right: 16, top: 20, bottom: 60 },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{
      type: "bar", name: data.label,
      data: data.rates.map(function (r) { return Math.round(r * 1000) / 10; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
