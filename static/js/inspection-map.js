/* Map of a round's sampled points coloured by score rate (Leaflet, served locally).
 *
 * green ≥ 90 %, yellow 75–90 %, red < 75 % or a failed critical item, grey = not yet
 * inspected. No tile layer unless the deployment configures one (intranets have none).
 */
(function () {
  "use strict";

  var COLOURS = { green: "#198754", yellow: "#ffc107", red: "#dc3545", none: "#adb5bd" };

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function init(el) {
    var source = document.getElementById(el.dataset.configId);
    var config = source ? JSON.parse(source.textContent) : {};
    var map = L.map(el, { attributionControl: Boolean(config.tileUrl) });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    if (config.bounds) {
      map.fitBounds(config.bounds, { padding: [20, 20], maxZoom: 16 });
    } else {
      map.setView([35.0, 105.0], 4);
    }
    var renderer = (config.points || []).length > 300 ? L.canvas({ padding: 0.2 }) : undefined;
    (config.points || []).forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lng], {
        radius: 7, color: "#ffffff", weight: 1, fillColor: COLOURS[p.cls] || COLOURS.none,
        fillOpacity: 0.95, renderer: renderer,
      });
      marker.bindPopup(
        '<div class="small"><strong><a href="' + esc(p.url) + '">' + esc(p.name) + "</a></strong>" +
        "<br>" + esc(p.code) + "<br>督查组：" + esc(p.team) +
        "<br>得分率：" + (p.rate == null ? "未检查" : (p.rate * 100).toFixed(1) + "%") + "</div>"
      );
      marker.addTo(map);
    });
    L.control.scale({ imperial: false }).addTo(map);
  }

  function start() {
    var el = document.getElementById("round-map");
    if (el && window.L) init(el);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
