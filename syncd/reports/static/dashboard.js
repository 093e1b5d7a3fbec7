/* syncd dashboard: sortable tables (click a header). Needs nothing else. */
(function () {
  "use strict";
  function value(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return "";
    if (kind === "num") {
      var n = parseFloat(cell.getAttribute("data-sort"));
      return isNaN(n) ? -Infinity : n;
    }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, th, index) {
    var kind = th.getAttribute("data-kind") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
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
  document.querySelectorAll("th.sortable").forEach(function (th) {
    th.tabIndex = 0;
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    th.addEventListener("click", function () { sortBy(table, th, index); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, th, index); });
  });
})();
