/* CivicLoop maps (Leaflet, served locally).
 *
 * No tile layer unless the deployment configures one: government intranets have no
 * internet, so boundaries and points are drawn on a plain background. Elements with
 * data-cl-map="detail" | "registry" are initialised from the JSON config whose element id
 * is in data-config-id.
 */
(function () {
  "use strict";

  var BOUNDARY_STYLE = { color: "#b71c1c", weight: 2, fillColor: "#b71c1c", fillOpacity: 0.06 };
  var POINT_STYLE = { radius: 6, color: "#ffffff", weight: 1, fillColor: "#0d6efd", fillOpacity: 0.9 };

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function baseMap(el, config) {
    // SVG by default (boundaries are few and stay inspectable); many points go to a canvas.
    var map = L.map(el, { attributionControl: Boolean(config.tileUrl) });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    if (config.bounds) {
      map.fitBounds(config.bounds, { padding: [10, 10] });
    } else {
      map.setView([35.0, 105.0], 4); // China, when nothing in scope has a boundary yet
    }
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  function detail(el, config) {
    var map = baseMap(el, config);
    var layers = [];
    if (config.boundary) {
      var shape = L.geoJSON(config.boundary, { style: BOUNDARY_STYLE }).addTo(map);
      layers.push(shape);
    }
    if (config.point) {
      var marker = L.circleMarker([config.point.lat, config.point.lng], POINT_STYLE).addTo(map);
      layers.push(marker);
      map.setView([config.point.lat, config.point.lng], 16);
    } else if (layers.length) {
      map.fitBounds(layers[0].getBounds(), { padding: [10, 10] });
    }
    return map;
  }

  function pointPopup(p, urlTemplate) {
    var url = urlTemplate.replace(/\/0\/$/, "/" + p.id + "/");
    return (
      '<div class="small"><strong><a href="' + esc(url) + '">' + esc(p.name) + "</a></strong>" +
      "<br>编码：" + esc(p.code) + "<br>类型：" + esc(p.type_name) +
      "<br>责任单位：" + esc(p.unit_name) + (p.address ? "<br>地址：" + esc(p.address) : "") + "</div>"
    );
  }

  function bboxParam(map) {
    var b = map.getBounds();
    var clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)]
      .map(function (v) { return v.toFixed(6); }).join(",");
  }

  /* Fetch JSON, cancelling the previous request of the same kind (fast panning). */
  function fetcher() {
    var controller = null;
    return function (url) {
      if (controller) controller.abort();
      controller = new AbortController();
      return fetch(url, { signal: controller.signal, credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    };
  }

  function registry(el, config) {
    var map = baseMap(el, config);
    var levelSelect = document.getElementById("map-level");
    var typeSelect = document.getElementById("map-type");
    var status = document.getElementById("map-status");
    var areaLayer = L.geoJSON(null, {
      style: BOUNDARY_STYLE,
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindPopup('<a href="' + esc(p.url) + '">' + esc(p.name) + "</a><br><small>" + esc(p.code) + "</small>");
      },
    }).addTo(map);
    var pointLayer = L.layerGroup().addTo(map);
    var canvas = L.canvas({ padding: 0.2 });
    var CANVAS_ABOVE = 300; // SVG markers get slow beyond a few hundred
    var getAreas = fetcher();
    var getPoints = fetcher();
    var timer = null;

    function say(text, warn) {
      if (!status) return;
      status.textContent = text;
      status.className = "small " + (warn ? "text-danger fw-semibold" : "text-muted");
    }

    function loadAreas() {
      var level = levelSelect ? levelSelect.value : "street";
      areaLayer.clearLayers();
      if (!level) return;
      var url = config.areasUrl + "?level=" + encodeURIComponent(level) + "&bbox=" + bboxParam(map);
      getAreas(url).then(function (data) {
        areaLayer.clearLayers();
        areaLayer.addData(data);
        areaLayer.bringToBack();
      }).catch(function (err) { if (err.name !== "AbortError") say("区域边界加载失败，请稍后重试", true); });
    }

    function drawClusters(clusters) {
      clusters.forEach(function (c) {
        var radius = Math.min(30, 6 + 3 * Math.log(c.count + 1));
        var marker = L.circleMarker([c.lat, c.lng], {
          radius: radius, color: "#ffffff", weight: 1, fillColor: "#dc3545", fillOpacity: 0.75,
        });
        marker.bindTooltip(c.count + " 个点位");
        marker.on("click", function () { map.setView([c.lat, c.lng], map.getZoom() + 2); });
        pointLayer.addLayer(marker);
      });
    }

    function drawPoints(points) {
      var style = points.length > CANVAS_ABOVE ? L.extend({ renderer: canvas }, POINT_STYLE) : POINT_STYLE;
      points.forEach(function (p) {
        var marker = L.circleMarker([p.lat, p.lng], style);
        marker.bindPopup(function () { return pointPopup(p, config.pointUrlTemplate); });
        pointLayer.addLayer(marker);
      });
    }

    function loadPoints() {
      var type = typeSelect ? typeSelect.value : "";
      var url = config.pointsUrl + "?bbox=" + bboxParam(map) + (type ? "&type=" + encodeURIComponent(type) : "");
      say("加载中…");
      getPoints(url).then(function (data) {
        pointLayer.clearLayers();
        if (data.truncated) {
          drawClusters(data.clusters);
          say(data.message, true);
        } else {
          drawPoints(data.points);
          say("当前视野内 " + data.total + " 个点位");
        }
      }).catch(function (err) { if (err.name !== "AbortError") say("点位加载失败，请稍后重试", true); });
    }

    function reload() {
      clearTimeout(timer);
      timer = setTimeout(function () { loadAreas(); loadPoints(); }, 250);
    }

    map.on("moveend", reload);
    if (levelSelect) levelSelect.addEventListener("change", loadAreas);
    if (typeSelect) typeSelect.addEventListener("change", loadPoints);
    reload();
    return map;
  }

  function init() {
    document.querySelectorAll("[data-cl-map]").forEach(function (el) {
      var source = document.getElementById(el.dataset.configId);
      var config = source ? JSON.parse(source.textContent) : {};
      if (el.dataset.clMap === "registry") registry(el, config);
      else detail(el, config);
    });
  }

  window.CivicMap = { detail: detail, registry: registry };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
