// Quality report charts: a radar of the dimension scores and the total score across versions.
(function () {
  "use strict";
  var source = document.getElementById("quality-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var measured = data.dimensions.filter(function (d) { return d in data.scores; });
  var radar = window.echarts.init(document.getElementById("quality-radar-chart"));
  radar.setOption({
    animation: false,
    tooltip: {},
    radar: {
      radius: "62%",
      indicator: measured.map(function (d) { return { name: data.names[d], max: 100 }; })
    },
    series: [{
      type: "radar",
      areaStyle: { opacity: 0.2 },
      data: [{ value: measured.map(function (d) { return data.scores[d]; }), name: data.total }]
    }]
  });
  var trend = window.echarts.init(document.getElementById("quality-trend-chart"));
  trend.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 16, top: 20, bottom: 30 },
    xAxis: { type: "category", data: data.trend.map(function (t) { return data.version + " " + t.version; }) },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{ type: "line", name: data.total, data: data.trend.map(function (t) { return t.total; }) }]
  });
  window.addEventListener("resize", function () { radar.resize(); trend.resize(); });
  document.documentElement.dataset.qualityCharts = "ready";
}());
