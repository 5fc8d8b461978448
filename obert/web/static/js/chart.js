// Draws a chart with Chart.js from the numbers the page carries (#chart-data, computed by the server):
// bars, or a line over time, with a series per value of the chosen column. The page already shows the
// same numbers as text and as a table, so without this script nothing is lost. It also offers the drawn
// chart as a PNG file.
(function () {
  "use strict";
  var canvas = document.getElementById("chart");
  var source = document.getElementById("chart-data");
  if (!canvas || !source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent || "{}");
  var lang = document.documentElement.lang || "en";
  var style = getComputedStyle(document.documentElement);
  var brand = (style.getPropertyValue("--brand") || "#b3001b").trim();
  // Colours told apart by people with the common colour-vision deficiencies (Okabe-Ito), the brand first.
  var palette = [brand, "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#7f7f7f"];
  var line = data.kind === "line";
  var single = data.series.length === 1 && data.series[0].name === null && !data.series[0].others;
  var datasets = data.series.map(function (s, i) {
    var colour = s.others ? "#7f7f7f" : palette[i % palette.length];
    return {
      label: single ? canvas.dataset.label : (s.others ? canvas.dataset.others : (s.name === null ? "—" : s.name)),
      data: s.values,
      backgroundColor: colour,
      borderColor: colour,
      borderWidth: line ? 2 : 0,
      pointRadius: line && data.labels.length > 60 ? 0 : 3,
      spanGaps: false
    };
  });
  var chart = new window.Chart(canvas, {
    type: line ? "line" : "bar",
    data: { labels: data.labels.map(function (l) { return l === null ? "—" : l; }), datasets: datasets },
    options: {
      indexAxis: line ? "x" : "y",
      animation: false,
      maintainAspectRatio: false,
      locale: lang,
      plugins: { legend: { display: !single } },
      scales: line ? { y: { beginAtZero: true } }
                   : { x: { beginAtZero: true, stacked: !!data.stacked }, y: { stacked: !!data.stacked } }
    }
  });
  canvas.dataset.drawn = String(data.labels.length);
  canvas.dataset.series = String(datasets.length);

  var button = document.querySelector(".chart-png");
  if (button && canvas.toBlob) {
    button.hidden = false;
    button.addEventListener("click", function () {
      // A white background: a transparent PNG shows black on many viewers.
      var copy = document.createElement("canvas");
      copy.width = canvas.width;
      copy.height = canvas.height;
      var context = copy.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, copy.width, copy.height);
      context.drawImage(chart.canvas, 0, 0);
      copy.toBlob(function (blob) {
        if (!blob) { return; }
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "chart.png";
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      }, "image/png");
    });
  }
}());
