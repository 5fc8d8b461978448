// Draws a GeoJSON file on a Leaflet map with the canvas renderer (no WebGL needed), fitted to the data,
// over the city's own boundaries (no third party contacted unless the site configured tiles).
// Thousands of points stay smooth because each is a canvas circle, not a DOM marker; past CLUSTER_MIN
// points, nearby points are counted into one circle per grid cell until the reader zooms in.
// A list of the first points, one button each, is the keyboard's way to every place the map draws.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var LIST_MAX = 50;
  var CLUSTER_MIN = Number(box.dataset.clusterMin || 10000);
  var CLUSTER_CELL = 48; // pixels
  var CLUSTER_UNTIL = 16; // zoom from which every point is drawn
  var tiles = box.dataset.tiles;
  var maxZoom = Number(box.dataset.maxZoom || 19);
  var fallback = box.querySelector(".map-fallback");
  var titles = {};
  try { titles = JSON.parse(box.dataset.titles || "{}"); } catch (ignored) { titles = {}; }
  var lang = box.dataset.lang || document.documentElement.lang || "ca";
  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map(box, {
    preferCanvas: true,
    renderer: renderer,
    zoomControl: false,
    zoomSnap: 0.25,
    maxZoom: maxZoom,
    attributionControl: Boolean(tiles)
  });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  if (tiles) {
    L.tileLayer(tiles, { attribution: box.dataset.attribution, maxZoom: maxZoom }).addTo(map);
  }
  map.setView([0, 0], 2);

  var style = getComputedStyle(document.documentElement);
  var colour = (style.getPropertyValue("--brand") || "#b3001b").trim();

  // A column's title as the table page shows it; a file's own property names get their words apart.
  function title(key) {
    if (titles[key]) { return titles[key]; }
    var words = String(key).replace(/[_\s]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  var NAME_RULES = [
    /^(name|nom|nombre|title|t[ií]tol|t[ií]tulo|denominaci[oó])$/i,
    /(carrer|calle|street|adre[cç]a|direcci[oó]n|address|ubicaci[oó])/i,
    /(^|[^a-z])(nom|name|nombre)([^a-z]|$)/i
  ];

  function nameKey(properties) {
    var keys = Object.keys(properties || {});
    for (var r = 0; r < NAME_RULES.length; r += 1) {
      for (var k = 0; k < keys.length; k += 1) {
        var value = properties[keys[k]];
        if (NAME_RULES[r].test(keys[k]) && typeof value === "string" && value.trim()) { return keys[k]; }
      }
    }
    return null;
  }

  function text(value) {
    if (value !== null && typeof value === "object") { value = JSON.stringify(value); }
    var out = String(value === null || value === undefined ? "" : value);
    return out.length > 80 ? out.slice(0, 79) + "…" : out;
  }

  function describe(properties, latlng) {
    var wrap = document.createElement("div");
    wrap.className = "map-popup";
    wrap.tabIndex = -1;
    var key = nameKey(properties);
    if (key) {
      var head = document.createElement("p");
      head.className = "map-popup-title";
      head.textContent = text(properties[key]);
      wrap.appendChild(head);
    }
    var where = latlng ? areasAt(latlng) : [];
    if (where.length) {
      var place = document.createElement("p");
      place.className = "map-popup-where";
      place.textContent = where.join(" · ");
      wrap.appendChild(place);
    }
    var list = document.createElement("dl");
    Object.keys(properties || {}).filter(function (k) { return k !== key; }).slice(0, 6).forEach(function (k) {
      var dt = document.createElement("dt");
      dt.textContent = title(k);
      var dd = document.createElement("dd");
      dd.textContent = text(properties[k]);
      list.appendChild(dt);
      list.appendChild(dd);
    });
    wrap.appendChild(list);
    return wrap;
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  // Which boundaries (district, neighbourhood) hold a place: a popup names them, so that a keyboard user
  // who opens a place from the list learns where it is as a mouse user does by hovering.
  var areas = [];
  function inRing(lng, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inShape(lng, lat, geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some(function (rings) {
      return inRing(lng, lat, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(lng, lat, hole); });
    });
  }
  function areasAt(latlng) {
    return areas.filter(function (area) {
      return area.bounds.contains(latlng) && inShape(latlng.lng, latlng.lat, area.geometry);
    }).sort(function (a, b) { return a.layer - b.layer; }).map(function (area) { return area.label; });
  }

  function drawBoundaries(data) {
    var count = 0;
    L.geoJSON(data, {
      renderer: renderer,
      style: function (feature) {
        var coarse = feature.properties && feature.properties.layer === 0;
        return {
          color: coarse ? "#4d4d4d" : "#8c8c8c",
          weight: coarse ? 1.6 : 0.7,
          opacity: coarse ? 0.8 : 0.7,
          fill: true,
          fillColor: "#ffffff",
          fillOpacity: 0
        };
      },
      onEachFeature: function (feature, layer) {
        count += 1;
        var p = feature.properties || {};
        var label = p.title ? (p.title[lang] || p.title.ca || "") : "";
        if (p.name) {
          layer.bindTooltip(label ? p.name + " · " + label : p.name, { sticky: true, className: "boundary-name" });
          areas.push({ layer: p.layer || 0, label: p.name, geometry: feature.geometry, bounds: layer.getBounds() });
        }
      }
    }).addTo(map);
    box.dataset.boundariesDrawn = String(count);
  }

  var opener = null;
  function openAt(latlng, properties, from) {
    opener = from || null;
    // Without animation, so that the popup opens where the view has settled and pans itself into sight.
    if (from) { map.setView(latlng, Math.max(map.getZoom(), Math.min(16, maxZoom)), { animate: false }); }
    var content = describe(properties, latlng);
    // Narrow enough to open beside the zoom buttons on a phone, and panned clear of them.
    var width = Math.max(160, Math.min(280, box.clientWidth - 110));
    L.popup({ maxWidth: width, minWidth: Math.min(200, width), autoPanPaddingTopLeft: [52, 12], autoPanPaddingBottomRight: [12, 12] })
      .setLatLng(latlng).setContent(content).openOn(map);
    if (from) { content.focus(); }
  }
  map.on("popupclose", function () {
    if (opener) { opener.focus(); opener = null; }
  });

  function buildList(items, total) {
    var holder = document.getElementById("map-list");
    if (!holder || !items.length) { return; }
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.id = "map-list-title";
    summary.textContent = (box.dataset.listTitle || "") + " (" + (box.dataset.listFirst || "")
      .replace("{shown}", String(items.length)).replace("{num}", String(total)) + ")";
    var help = document.createElement("p");
    help.className = "meta";
    help.textContent = box.dataset.listHelp || "";
    var list = document.createElement("ol");
    list.setAttribute("aria-labelledby", "map-list-title");
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      var key = nameKey(item.properties);
      button.textContent = key ? text(item.properties[key]) : (box.dataset.untitled || "{num}").replace("{num}", String(i + 1));
      button.addEventListener("click", function () { openAt(item.latlng, item.properties, button); });
      li.appendChild(button);
      list.appendChild(li);
    });
    details.appendChild(summary);
    details.appendChild(help);
    details.appendChild(list);
    holder.appendChild(details);
    holder.hidden = false;
  }

  function dotStyle(many) {
    return many ? { radius: 2.5, weight: 0, fillOpacity: 0.45 } : { radius: 4.5, weight: 1, fillOpacity: 0.75 };
  }

  // Counts points into grid cells at the current zoom: one circle per cell, sized by its count.
  function clusterLayer(points) {
    var group = L.layerGroup().addTo(map);
    function redraw() {
      group.clearLayers();
      var zoom = map.getZoom();
      var dot = dotStyle(true);
      if (zoom >= CLUSTER_UNTIL) {
        points.forEach(function (pt) {
          L.circleMarker(pt.latlng, {
            renderer: renderer, radius: dot.radius, color: colour, fillColor: colour, weight: 0, fillOpacity: 0.6
          }).on("click", function () { openAt(pt.latlng, pt.properties); }).addTo(group);
        });
        return;
      }
      var cells = {};
      points.forEach(function (pt) {
        var p = map.project(pt.latlng, zoom);
        var key = Math.floor(p.x / CLUSTER_CELL) + ":" + Math.floor(p.y / CLUSTER_CELL);
        var cell = cells[key] || (cells[key] = { n: 0, lat: 0, lng: 0, first: pt });
        cell.n += 1; cell.lat += pt.latlng.lat; cell.lng += pt.latlng.lng;
      });
      box.dataset.clusterCells = String(Object.keys(cells).length);
      Object.keys(cells).forEach(function (key) {
        var cell = cells[key];
        var centre = L.latLng(cell.lat / cell.n, cell.lng / cell.n);
        var radius = cell.n === 1 ? 3 : Math.min(22, 4 + 3 * Math.log2(cell.n));
        L.circleMarker(centre, {
          renderer: renderer, radius: radius, color: "#ffffff", weight: 1, fillColor: colour, fillOpacity: 0.7
        }).bindTooltip(String(cell.n), { direction: "top" })
          .on("click", function () {
            if (cell.n === 1) { openAt(centre, cell.first.properties); } else { map.setView(centre, zoom + 2); }
          }).addTo(group);
      });
    }
    map.on("zoomend", redraw);
    redraw();
    return group;
  }

  var boundaries = box.dataset.boundaries
    ? fetchJson(box.dataset.boundaries).catch(function () { return null; })
    : Promise.resolve(null);

  Promise.all([boundaries, fetchJson(box.dataset.src)])
    .then(function (loaded) {
      var started = performance.now();
      if (loaded[0]) { drawBoundaries(loaded[0]); }
      var data = loaded[1];
      var features = data.features || [];
      var drawn = 0;
      var items = [];
      var bounds = L.latLngBounds([]);
      var pointCount = features.filter(function (f) { return f.geometry && f.geometry.type === "Point"; }).length;
      var clustered = pointCount >= CLUSTER_MIN;
      var points = [];
      var dot = dotStyle(features.length > 2000);
      L.geoJSON(data, {
        renderer: renderer,
        filter: function (feature) {
          if (clustered && feature.geometry && feature.geometry.type === "Point") {
            var c = feature.geometry.coordinates;
            var latlng = L.latLng(c[1], c[0]);
            points.push({ latlng: latlng, properties: feature.properties || {} });
            if (items.length < LIST_MAX) { items.push(points[points.length - 1]); }
            bounds.extend(latlng);
            drawn += 1;
            return false;
          }
          return true;
        },
        // GeoJSON layers restyle every feature with this, points included: give points their own.
        style: function (feature) {
          if (feature.geometry && feature.geometry.type === "Point") {
            return { color: colour, fillColor: colour, weight: dot.weight, fillOpacity: dot.fillOpacity };
          }
          return { color: colour, weight: 1.5, fillOpacity: 0.15 };
        },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {
            renderer: renderer, radius: dot.radius, color: "#ffffff", fillColor: colour,
            weight: dot.weight, fillOpacity: dot.fillOpacity
          });
        },
        onEachFeature: function (feature, featureLayer) {
          drawn += 1;
          var where = featureLayer.getLatLng ? featureLayer.getLatLng() : featureLayer.getBounds().getCenter();
          if (featureLayer.getLatLng) { bounds.extend(where); } else { bounds.extend(featureLayer.getBounds()); }
          if (items.length < LIST_MAX) { items.push({ latlng: where, properties: feature.properties || {} }); }
          featureLayer.on("click", function () { openAt(where, feature.properties || {}); });
        }
      }).addTo(map);
      if (clustered) {
        clusterLayer(points);
        box.dataset.clustered = "true";
        var help = document.getElementById("map-help");
        if (help && box.dataset.clusterHelp) { help.textContent = help.textContent.trim() + " " + box.dataset.clusterHelp; }
      }
      if (fallback) { fallback.remove(); }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); }
      buildList(items, Number(data.numberMatched || features.length));
      box.dataset.drawMs = String(Math.round(performance.now() - started));
      box.dataset.featuresDrawn = String(drawn);
    })
    .catch(function (error) {
      box.dataset.error = String(error);
      if (fallback) { fallback.textContent = fallback.textContent + " (" + error + ")"; }
    });
})();
