// Open data dataset page: a bar chart of the rows per value of one column.
(function () {
  "use strict";
  var source = document.getElementById("dataset-chart-data");
  var element = document.getElementById("dataset-chart");
  if (!source || !element || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 56, right: 16, top: 20, bottom: 60 },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: data.column, data: data.counts, itemStyle: { color: "#1f4e8c" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  document.documentElement.dataset.datasetChart = "ready";
}());
