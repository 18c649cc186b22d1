/* Ledger pages: htmx error swaps, two-level category select, location picker.
 *
 * - Action forms answer 400/403/409 with the form and its Chinese error; htmx does not
 *   swap error responses by default, so those are let through here.
 * - The new-problem form: the 大类 select narrows the 小类 select; the location comes from
 *   a point (search), the device (navigator.geolocation) or a click on the map (Leaflet,
 *   no tile layer unless configured).
 */
(function () {
  "use strict";

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status === 400 || status === 403 || status === 409) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  function categorySelect() {
    var major = document.getElementById("id_major");
    var minor = document.getElementById("id_category");
    if (!major || !minor) return;
    var options = Array.prototype.slice.call(minor.querySelectorAll("option[data-parent]"));
    function filter() {
      var parent = major.value;
      options.forEach(function (o) {
        var show = !parent || o.dataset.parent === parent;
        o.hidden = !show;
        o.disabled = !show;
      });
      var selected = minor.options[minor.selectedIndex];
      if (selected && selected.disabled) minor.value = "";
    }
    var current = minor.options[minor.selectedIndex];
    if (current && current.dataset.parent) major.value = current.dataset.parent;
    major.addEventListener("change", filter);
    filter();
  }

  function locationPicker() {
    var el = document.getElementById("picker-map");
    if (!el || typeof L === "undefined") return;
    var source = document.getElementById(el.dataset.configId);
    var config = source ? JSON.parse(source.textContent) : {};
    var lng = document.getElementById("id_lng");
    var lat = document.getElementById("id_lat");
    var status = document.getElementById("location-status");
    var map = L.map(el, { attributionControl: Boolean(config.tileUrl) });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    if (config.bounds) map.fitBounds(config.bounds);
    else map.setView([35.0, 105.0], 4);
    var marker = null;

    function place(latValue, lngValue, how) {
      lat.value = latValue.toFixed(7);
      lng.value = lngValue.toFixed(7);
      if (marker) marker.setLatLng([latValue, lngValue]);
      else marker = L.marker([latValue, lngValue]).addTo(map);
      map.setView([latValue, lngValue], Math.max(map.getZoom(), 15));
      if (status) status.textContent = how + "：" + lng.value + ", " + lat.value;
    }
    if (lng.value && lat.value) place(parseFloat(lat.value), parseFloat(lng.value), "已选位置");

    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, "地图选点"); });

    var locate = document.getElementById("locate-me");
    if (locate) {
      locate.addEventListener("click", function () {
        if (!navigator.geolocation) {
          if (status) status.textContent = "此浏览器不支持定位，请在地图上点选位置";
          return;
        }
        if (status) status.textContent = "正在定位…";
        navigator.geolocation.getCurrentPosition(
          function (pos) { place(pos.coords.latitude, pos.coords.longitude, "手机定位"); },
          function () { if (status) status.textContent = "定位失败（可能未授权），请在地图上点选位置"; },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }

    var point = document.getElementById("id_point");
    if (point) {
      point.addEventListener("change", function () {
        var o = point.options[point.selectedIndex];
        if (o && o.dataset.lat && o.dataset.lng) {
          place(parseFloat(o.dataset.lat), parseFloat(o.dataset.lng), "点位位置");
        }
      });
    }
  }

  function init() {
    categorySelect();
    locationPicker();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
