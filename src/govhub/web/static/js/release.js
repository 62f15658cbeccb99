// Release page chart: highest and average risk and the share of records at risk per attacker model.
(function () {
  "use strict";
  var source = document.getElementById("release-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(document.getElementById("release-risk-chart"));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 44, right: 16, top: 36, bottom: 30 },
    xAxis: { type: "category", data: data.models },
    yAxis: { type: "value", min: 0, max: 1 },
    series: [
      { type: "bar", name: "highest", data: data.highest,
        markLine: { symbol: "none", data: [{ yAxis: data.threshold, name: "threshold" }] } },
      { type: "bar", name: "average", data: data.average },
      { type: "bar", name: "records at risk", data: data.at_risk }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
