// Live figures of a reservation campaign: a stacked bar per pickup point, redrawn after each
// htmx refresh of the figures table (which carries the numbers as JSON).
(function () {
  "use strict";
  var element = document.getElementById("live-chart");
  var labels = document.getElementById("live-labels");
  if (!element || !labels || !window.echarts) { return; }
  var names = JSON.parse(labels.textContent);
  var chart = window.echarts.init(element);
  function draw() {
    var source = document.getElementById("live-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 56, right: 16, top: 20, bottom: 60 },
      xAxis: { type: "category", data: data.names },
      yAxis: { type: "value", minInterval: 1 },
      color: ["#1e8e3e", "#2f6fd6", "#d5dbe3"],
      series: ["redeemed", "booked", "remaining"].map(function (key) {
        var values = key === "booked"
          ? data.booked.map(function (b, i) { return b - data.redeemed[i]; })
          : data[key];
        return { type: "bar", stack: "all", name: names[key], data: values };
      })
    });
    document.documentElement.dataset.liveChart = "ready";
    document.documentElement.dataset.liveBooked = String(
      data.booked.reduce(function (a, b) { return a + b; }, 0)
    );
  }
  draw();
  document.body.addEventListener("htmx:after:settle", draw);
  window.addEventListener("resize", function () { chart.resize(); });
}());
