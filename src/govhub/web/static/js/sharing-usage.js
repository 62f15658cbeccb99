// Sharing usage charts: calls and rows per day, one stacked series per consumer department.
(function () {
  "use strict";
  var source = document.getElementById("usage-data");
  var labels = document.getElementById("usage-labels");
  if (!source || !labels || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var names = JSON.parse(labels.textContent);
  var charts = [];
  function draw(id, measure) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = window.echarts.init(element);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 56, right: 16, top: 20, bottom: 60 },
      xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", name: names[measure], minInterval: 1 },
      series: data.series.map(function (s) {
        return { type: "bar", stack: measure, name: s.name, data: s[measure] };
      })
    });
    charts.push(chart);
  }
  draw("usage-calls-chart", "calls");
  draw("usage-rows-chart", "rows");
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.dataset.usageCharts = "ready";
}());
