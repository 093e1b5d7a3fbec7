/* syncd dashboard: sortable tables, the overview's filters, "N min ago" times, and pages that
 * update themselves. Needs nothing else; without JavaScript every page still reads whole. */
(function () {
  "use strict";
  var POLL_MS = 5000;

  function value(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return "";
    if (kind === "num") {
      var n = parseFloat(cell.getAttribute("data-sort"));
      return isNaN(n) ? -Infinity : n;
    }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, th, index, ascending) {
    var kind = th.getAttribute("data-kind") || "text";
    if (ascending === undefined) ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index, kind), y = value(b, index, kind);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var sorted = null;  // {table id, column, ascending}: kept across live updates
  function sortable(root) {
    root.querySelectorAll("th.sortable").forEach(function (th) {
      th.tabIndex = 0;
      th.setAttribute("role", "columnheader");
      var table = th.closest("table");
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      function go() {
        sortBy(table, th, index);
        sorted = { table: table.id, index: index, ascending: th.getAttribute("aria-sort") === "ascending" };
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
    });
    if (sorted && sorted.table) {
      var table = document.getElementById(sorted.table);
      var th = table && table.tHead && table.tHead.rows[0].cells[sorted.index];
      if (th) sortBy(table, th, sorted.index, sorted.ascending);
    }
  }

  var filterState = {};
  function filters() {
    var form = document.getElementById("filters");
    var table = document.getElementById("clients");
    if (!form || !table) return;
    Object.keys(filterState).forEach(function (k) { if (form.elements[k]) form.elements[k].value = filterState[k]; });
    function apply() {
      var want = {};
      ["rag", "owner", "tag", "q"].forEach(function (k) {
        var el = form.elements[k];
        want[k] = el ? el.value.trim().toLowerCase() : "";
        filterState[k] = el ? el.value : "";
      });
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        if (!row.hasAttribute("data-client")) return;
        var tags = (row.getAttribute("data-tags") || "").toLowerCase().split(" ");
        var ok = (!want.rag || row.getAttribute("data-rag") === want.rag) &&
          (!want.owner || (row.getAttribute("data-owner") || "").toLowerCase() === want.owner) &&
          (!want.tag || tags.indexOf(want.tag) >= 0) &&
          (!want.q || (row.getAttribute("data-name") || "").indexOf(want.q) >= 0);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      var label = form.querySelector("[data-shown]");
      if (label) label.textContent = shown + " shown";
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  function ago(seconds) {
    if (seconds < 60) return Math.max(0, Math.round(seconds)) + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  }
  function times() {
    var now = Date.now();
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.title = el.getAttribute("datetime");
      el.textContent = ago((now - at) / 1000);
    });
  }

  // At phone width every table reads as cards: label each cell with its column's header.
  function cardTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      if (!table.tHead || !table.tHead.rows.length) return;
      var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
        return th.textContent.replace(/[↕↑↓]/g, "").trim();
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          Array.prototype.forEach.call(row.cells, function (td, i) {
            if (!td.hasAttribute("data-label") && heads[i] && td.colSpan === 1) td.setAttribute("data-label", heads[i]);
          });
        });
      });
      table.classList.add("cards-narrow");
    });
  }

  function setup(root) {
    cardTables(root);
    sortable(root);
    filters();
    times();
  }

  // Live: ask for the change token; when it moved, fetch this page and swap its content in.
  var live = document.querySelector("[data-live]");
  var checked = null;
  var version = live ? live.getAttribute("data-version") : null;  // the page as rendered
  function tick() {
    var out = live && live.querySelector("[data-updated]");
    if (out && checked) out.textContent = ago((Date.now() - checked) / 1000);
    times();
  }
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main) return;
    main.innerHTML = fresh.innerHTML;
    ["chart-data"].forEach(function (id) {
      var mine = document.getElementById(id), theirs = doc.getElementById(id);
      if (mine && theirs) mine.textContent = theirs.textContent;
    });
    var crumbs = doc.querySelector("header.top"), head = document.querySelector("header.top");
    if (crumbs && head) {
      head.querySelectorAll("[data-crumb]").forEach(function (el, i) {
        var other = crumbs.querySelectorAll("[data-crumb]")[i];
        if (other) el.innerHTML = other.innerHTML;
      });
    }
    setup(main);
    if (window.syncdDrawCharts) window.syncdDrawCharts();
    document.dispatchEvent(new CustomEvent("syncd:updated"));
  }
  function poll() {
    if (!live) return;
    var url = live.getAttribute("data-live");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) {
        var changed = version !== null && body.version !== version;
        version = body.version;
        live.setAttribute("data-version", version);
        if (!changed) return null;
        return fetch(location.href, { credentials: "same-origin", cache: "no-store" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(swap);
      })
      .then(function () { checked = Date.now(); live.classList.remove("stale"); tick(); })
      .catch(function () { live.classList.add("stale"); })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  setup(document);
  if (live) {
    checked = Date.now();
    poll();
    setInterval(tick, 1000);
  }
})();
