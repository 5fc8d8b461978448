// Draws the resource page's bar chart with Chart.js from the datastore's aggregate endpoint. The page
// already shows the same numbers as text and as a table, so without this script nothing is lost.
(function () {
  "use strict";
  var canvas = document.getElementById("chart");
  if (!canvas || !window.Chart) { return; }
  var group = canvas.dataset.group;
  var shown = Number(canvas.dataset.bars) || 30;
  var lang = document.documentElement.lang || "en";
  var style = getComputedStyle(document.documentElement);
  var colour = (style.getPropertyValue("--brand") || "#b3001b").trim();

  fetch(canvas.dataset.src, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (body) {
      var value = canvas.dataset.value || body.fields[body.fields.length - 1].name;
      // Largest first, as the server-rendered table lists them.
      var rows = body.data.slice().sort(function (a, b) { return (b[value] || 0) - (a[value] || 0); });
      rows = rows.slice(0, shown);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: rows.map(function (r) { return r[group] === null ? "—" : String(r[group]); }),
          datasets: [{ label: canvas.dataset.label, data: rows.map(function (r) { return r[value]; }),
                       backgroundColor: colour }]
        },
        options: {
          indexAxis: "y",
          animation: false,
          maintainAspectRatio: false,
          locale: lang,
          plugins: { legend: { display: false } }
        }
      });
      canvas.dataset.drawn = String(rows.length);
    })
    .catch(function () { canvas.dataset.drawn = "0"; });
}());
