// Draws a GeoJSON file on a Leaflet map with the canvas renderer (no WebGL needed), fitted to the data.
// Thousands of points stay smooth because each is a canvas circle, not a DOM marker.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var tiles = box.dataset.tiles;
  var fallback = box.querySelector(".map-fallback");
  var map = L.map(box, {
    preferCanvas: true,
    renderer: L.canvas({ padding: 0.5 }),
    zoomControl: false,
    zoomSnap: 0.25,
    attributionControl: Boolean(tiles)
  });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  if (tiles) {
    L.tileLayer(tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  map.setView([0, 0], 2);

  var style = getComputedStyle(document.documentElement);
  var colour = (style.getPropertyValue("--brand") || "#b3001b").trim();

  function describe(properties) {
    var list = document.createElement("dl");
    Object.keys(properties || {}).slice(0, 8).forEach(function (key) {
      var value = properties[key];
      if (value !== null && typeof value === "object") { value = JSON.stringify(value); }
      var dt = document.createElement("dt");
      dt.textContent = key;
      var dd = document.createElement("dd");
      dd.textContent = String(value === null || value === undefined ? "" : value).slice(0, 120);
      list.appendChild(dt);
      list.appendChild(dd);
    });
    return list;
  }

  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var started = performance.now();
      var drawn = 0;
      // Thousands of points (a city's accidents) drawn small and see-through show where they crowd.
      var many = (data.features || []).length > 2000;
      var dot = many ? { radius: 2.5, weight: 0, fillOpacity: 0.45 } : { radius: 4, weight: 1, fillOpacity: 0.7 };
      var layer = L.geoJSON(data, {
        // GeoJSON layers restyle every feature with this, points included: give points their own.
        style: function (feature) {
          if (feature.geometry && feature.geometry.type === "Point") {
            return { color: colour, fillColor: colour, weight: dot.weight, fillOpacity: dot.fillOpacity };
          }
          return { color: colour, weight: 1.5, fillOpacity: 0.15 };
        },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            radius: dot.radius, color: colour, fillColor: colour, weight: dot.weight, fillOpacity: dot.fillOpacity
          });
        },
        onEachFeature: function (feature, featureLayer) {
          drawn += 1;
          featureLayer.bindPopup(function () { return describe(feature.properties); });
        }
      }).addTo(map);
      if (fallback) { fallback.remove(); }
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); }
      box.dataset.drawMs = String(Math.round(performance.now() - started));
      box.dataset.featuresDrawn = String(drawn);
    })
    .catch(function (error) {
      box.dataset.error = String(error);
      if (fallback) { fallback.textContent = fallback.textContent + " (" + error + ")"; }
    });
})();
