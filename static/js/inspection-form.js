/* The phone inspection form: auto-save per item (htmx), location, offline drafts.
 *
 * Every change of an item is first written to localStorage, then posted by htmx
 * (hx-trigger="change"). A 2xx answer (or a 4xx: the server saw it and said why) clears
 * the local copy; a network error or 5xx keeps it and shows "offline". Kept copies are
 * restored into the form on load and re-sent when the browser is back online, so a lost
 * connection loses nothing typed. Photos are not kept offline (too large for
 * localStorage): the page says so and they must be taken again once online.
 */
(function () {
  "use strict";

  var app = document.getElementById("inspection-app");
  if (!app) return;
  var sampleId = app.dataset.sample;
  var PREFIX = "civicloop:insp:" + sampleId + ":";
  var FIELDS = ["outcome", "deduction", "count", "note"];
  var syncBox = document.getElementById("sync-status");
  var geoStatus = document.getElementById("geo-status");
  var position = null;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function forms() {
    return Array.prototype.slice.call(document.querySelectorAll(".cl-item-form"));
  }

  function formFor(itemId) {
    return document.querySelector('.cl-item-form[data-item="' + itemId + '"]');
  }

  function readFields(form) {
    var out = {};
    FIELDS.forEach(function (name) {
      if (name === "outcome") {
        var checked = form.querySelector('input[name="outcome"]:checked');
        out.outcome = checked ? checked.value : "";
      } else {
        var el = form.querySelector('[name="' + name + '"]');
        out[name] = el ? el.value : "";
      }
    });
    return out;
  }

  function writeFields(form, fields) {
    FIELDS.forEach(function (name) {
      if (name === "outcome") {
        form.querySelectorAll('input[name="outcome"]').forEach(function (r) { r.checked = r.value === fields.outcome; });
      } else {
        var el = form.querySelector('[name="' + name + '"]');
        if (el && fields[name] != null) el.value = fields[name];
      }
    });
    refresh(form);
  }

  function pendingKeys() {
    var store = storage();
    var keys = [];
    if (!store) return keys;
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) keys.push(key);
    }
    return keys;
  }

  function keep(form) {
    var store = storage();
    if (!store) return;
    store.setItem(PREFIX + form.dataset.item, JSON.stringify({ fields: readFields(form), at: Date.now() }));
  }

  function forget(itemId) {
    var store = storage();
    if (store) store.removeItem(PREFIX + itemId);
  }

  function showSync() {
    var n = pendingKeys().length;
    if (!syncBox) return;
    if (n) {
      syncBox.textContent = "有 " + n + " 项尚未同步到服务器（已暂存在本机），恢复网络后将自动同步。照片需联网后重新拍摄上传。";
      syncBox.classList.remove("d-none");
    } else {
      syncBox.classList.add("d-none");
    }
  }

  /* Show the deduction/count inputs only for a failed item; colour the card; count. */
  function refresh(form) {
    var fields = readFields(form);
    var detail = form.querySelector(".cl-fail-detail");
    if (detail) detail.classList.toggle("d-none", fields.outcome !== "fail");
    var card = form.closest(".cl-item");
    if (card) {
      card.classList.remove("cl-answered-pass", "cl-answered-fail", "cl-answered-not_applicable");
      if (fields.outcome) card.classList.add("cl-answered-" + fields.outcome);
    }
    var counter = document.getElementById("answered-count");
    if (counter) {
      counter.textContent = forms().filter(function (f) { return f.querySelector('input[name="outcome"]:checked'); }).length;
    }
  }

  function setLocationInputs() {
    if (!position) return;
    document.querySelectorAll('input[name="lng"]').forEach(function (el) { el.value = position.lng; });
    document.querySelectorAll('input[name="lat"]').forEach(function (el) { el.value = position.lat; });
  }

  function locate() {
    if (!navigator.geolocation) {
      if (geoStatus) geoStatus.textContent = "本设备不支持定位";
      return;
    }
    navigator.geolocation.getCurrentPosition(function (pos) {
      position = { lng: pos.coords.longitude.toFixed(6), lat: pos.coords.latitude.toFixed(6) };
      setLocationInputs();
      if (geoStatus) {
        geoStatus.innerHTML = '<i class="bi bi-geo-alt-fill text-success"></i> 已定位 ±' + Math.round(pos.coords.accuracy) + "米";
      }
    }, function () {
      if (geoStatus) geoStatus.innerHTML = '<i class="bi bi-geo-alt text-warning"></i> 未获取到位置（请允许定位）';
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* Re-send one kept item (no photo) with fetch; resolves true when the server answered. */
  function sendKept(key) {
    var store = storage();
    var itemId = key.substring(PREFIX.length);
    var form = formFor(itemId);
    var kept;
    try { kept = JSON.parse(store.getItem(key)); } catch (e) { kept = null; }
    if (!form || !kept || !kept.fields || !kept.fields.outcome) {
      store.removeItem(key);
      return Promise.resolve(true);
    }
    var body = new FormData();
    FIELDS.forEach(function (name) { body.append(name, kept.fields[name] || ""); });
    if (position) { body.append("lng", position.lng); body.append("lat", position.lat); }
    return fetch(form.getAttribute("hx-post"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
    }).then(function (response) {
      if (response.status >= 500) return false;
      return response.text().then(function (html) {
        var target = document.getElementById("status-" + itemId);
        if (target) target.innerHTML = html;
        store.removeItem(key);
        return true;
      });
    }).catch(function () { return false; });
  }

  function syncAll() {
    var keys = pendingKeys();
    return Promise.all(keys.map(sendKept)).then(function (results) {
      showSync();
      return results.every(Boolean);
    });
  }

  /* Restore what this phone kept but the server never got, then try to send it. */
  function restore() {
    var store = storage();
    pendingKeys().forEach(function (key) {
      var form = formFor(key.substring(PREFIX.length));
      try {
        var kept = JSON.parse(store.getItem(key));
        if (form && kept && kept.fields) writeFields(form, kept.fields);
      } catch (e) { store.removeItem(key); }
    });
    showSync();
    if (pendingKeys().length && navigator.onLine !== false) syncAll();
  }

  forms().forEach(function (form) {
    // Capture phase: keep a local copy before htmx sends (and even if it cannot).
    form.addEventListener("change", function () { setLocationInputs(); keep(form); refresh(form); }, true);
    refresh(form);
  });

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status === 400 || status === 403 || status === 409) {
      evt.detail.shouldSwap = true; // show the server's Chinese message in the item
      evt.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form || !form.classList || !form.classList.contains("cl-item-form")) return;
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status && status < 500) {
      forget(form.dataset.item);
      var photo = form.querySelector('input[name="photo"]');
      if (photo && status < 300) photo.value = ""; // sent once; do not upload it again
    } else {
      var target = document.getElementById("status-" + form.dataset.item);
      if (target) target.innerHTML = '<span class="text-warning small" data-state="kept"><i class="bi bi-wifi-off"></i> 离线：已暂存在本机，联网后自动同步</span>';
    }
    showSync();
  });

  var submitForm = document.getElementById("submit-form");
  if (submitForm) {
    submitForm.addEventListener("submit", function (evt) {
      setLocationInputs();
      if (!pendingKeys().length) return;
      evt.preventDefault();
      syncAll().then(function (ok) {
        if (ok && !pendingKeys().length) submitForm.submit();
        else if (syncBox) { syncBox.textContent = "网络不可用：还有未同步的检查项，恢复网络后再提交。"; syncBox.classList.remove("d-none"); }
      });
    });
  }

  window.addEventListener("online", function () { syncAll(); });
  locate();
  restore();
})();
