/* The lineage graph of /catalog/resources/{id}/lineage: an ECharts graph series whose nodes the
   server has already placed by layer (x) and order (y); a click on a node follows its link. */
(function () {
  "use strict";
  var COLORS = {
    dataset: "#1f4e8c", file: "#4c8c4a", database: "#4c8c4a", api: "#4c8c4a",
    run: "#d08a1f", column: "#1f4e8c", restricted: "#9aa3ad"
  };
  var SYMBOLS = { run: "diamond", restricted: "rect" };
  document.querySelectorAll(".legend-list .dot").forEach(function (dot) {
    dot.style.background = COLORS[dot.getAttribute("data-kind")] || "#666";
  });
  var element = document.getElementById("lineage-chart");
  if (!element || !window.echarts) { return; }
  var data = JSON.parse(element.getAttribute("data-graph"));
  var chart = window.echarts.init(element, null, { renderer: "canvas" });
  var nodes = data.nodes.map(function (n) {
    return {
      id: n.id, name: n.name, x: n.x, y: n.y, value: n.kind, url: n.url,
      symbol: SYMBOLS[n.category] || "circle",
      symbolSize: n.category === "run" ? 22 : (n.root ? 34 : 26),
      itemStyle: { color: COLORS[n.category] || "#666", borderColor: n.root ? "#111" : "#fff",
                   borderWidth: n.root ? 3 : 1 },
      label: { show: true, position: "bottom", width: 180, overflow: "truncate" },
      tooltip: { formatter: n.kind + "<br>" + echarts.format.encodeHTML(n.name) +
                 (n.detail ? "<br>" + echarts.format.encodeHTML(n.detail) : "") }
    };
  });
  var links = data.links.map(function (l) {
    return {
      source: l.source, target: l.target,
      label: { show: !!l.expression, formatter: l.expression, fontSize: 11 }
    };
  });
  chart.setOption({
    tooltip: { trigger: "item" },
    animation: false,
    series: [{
      type: "graph", layout: "none", roam: true, draggable: false,
      edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
      lineStyle: { color: "#8a94a3", width: 1.5, curveness: 0.08 },
      emphasis: { focus: "adjacency" },
      data: nodes, links: links
    }]
  });
  chart.on("click", function (params) {
    if (params.dataType === "node" && params.data.url) {
      window.location.assign(params.data.url);
    }
  });
  element.setAttribute("data-ready", String(nodes.length));
  window.addEventListener("resize", function () { chart.resize(); });
  window.govhubLineageChart = chart;
})();
