/* Draw every Plotly chart on the page from its data-figure attribute (JSON built on the
   server by app/readiness/charts.py). The numbers are also in a table beside each chart, so
   a page without JavaScript (or a screen reader) loses nothing. */
(function () {
  "use strict";

  function draw(element) {
    var figure;
    try {
      figure = JSON.parse(element.getAttribute("data-figure"));
    } catch (error) {
      element.setAttribute("data-chart-error", "invalid figure");
      return;
    }
    window.Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
      element.setAttribute("data-chart-drawn", "true");
    });
  }

  function start() {
    if (!window.Plotly) {
      return;
    }
    var charts = document.querySelectorAll(".chart[data-figure]");
    Array.prototype.forEach.call(charts, draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
