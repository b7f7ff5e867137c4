// Obhut's own small script, served from the app (no CDN). The pages work without it; with it,
// record pickers search as one types. Every request carries the session cookie and goes
// through the same gated search as the "Suchen" button.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function setUpPicker(box) {
    var kind = box.getAttribute("data-picker");
    var purpose = box.getAttribute("data-purpose") || "";
    var select = box.querySelector("select.picker-value");
    var search = box.querySelector("input[type=search]");
    if (!select || !search) { return; }
    var seq = 0;
    var run = debounce(function () {
      var q = search.value.trim();
      if (q.length < 2) { return; }
      var mine = ++seq;
      var url = "/pick/" + kind + "?q=" + encodeURIComponent(q) + (purpose ? "&purpose=" + encodeURIComponent(purpose) : "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (matches) {
          if (mine !== seq) { return; }
          var keep = select.value;
          // Keep the empty choice and the chosen record; the matches follow.
          Array.prototype.slice.call(select.options).forEach(function (o) {
            if (o.value !== "" && o.value !== keep) { select.removeChild(o); }
          });
          matches.forEach(function (m) {
            if (m.id === keep) { return; }
            var o = document.createElement("option");
            o.value = m.id;
            o.textContent = m.label;
            select.appendChild(o);
          });
          if (!keep && matches.length > 0) { select.value = matches[0].id; }
          box.setAttribute("data-matches", String(matches.length));
        })
        .catch(function () { /* the button still works */ });
    }, 250);
    search.addEventListener("input", run);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), setUpPicker);
  });
})();

// The pipeline: cards are dragged into another stage; the drop sends the card's own move form
// (the same POST as its select and arrow, CSRF token included) and the board reloads.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("pipeline");
    if (!board || !board.querySelector(".move-form")) { return; }
    var dragged = null;
    Array.prototype.forEach.call(board.querySelectorAll(".deal-card"), function (card) {
      card.setAttribute("draggable", "true");
      card.addEventListener("dragstart", function (e) {
        dragged = card;
        card.classList.add("dragging");
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
      });
      card.addEventListener("dragend", function () { card.classList.remove("dragging"); dragged = null; });
    });
    Array.prototype.forEach.call(board.querySelectorAll(".board-col"), function (col) {
      col.addEventListener("dragover", function (e) { if (dragged) { e.preventDefault(); col.classList.add("drop-target"); } });
      col.addEventListener("dragleave", function () { col.classList.remove("drop-target"); });
      col.addEventListener("drop", function (e) {
        e.preventDefault();
        col.classList.remove("drop-target");
        if (!dragged) { return; }
        var form = dragged.querySelector(".move-form");
        var stage = col.getAttribute("data-stage");
        if (!form || !stage) { return; }
        form.querySelector("select[name=stage_id]").value = stage;
        form.submit();
      });
    });
  });

  // Bulk actions: "select all on this page" and the count of ticked rows (the checkboxes and
  // the form work without this).
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("pick-all");
    var count = document.getElementById("bulk-count");
    var picks = document.querySelectorAll("input.pick");
    if (!all || !picks.length) { return; }
    all.hidden = false;
    function update() {
      var n = Array.prototype.filter.call(picks, function (p) { return p.checked; }).length;
      if (count) { count.textContent = n ? String(n) : ""; }
      all.checked = n === picks.length;
      all.indeterminate = n > 0 && n < picks.length;
    }
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(picks, function (p) { p.checked = all.checked; });
      update();
    });
    Array.prototype.forEach.call(picks, function (p) { p.addEventListener("change", update); });
    update();
  });
})();
