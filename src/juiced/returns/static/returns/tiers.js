// Return tiers page: open/close the dialogs, show the htmx-loaded tier modal, and drag-and-drop ordering.
// Dropping a row moves it in the table and posts the new order (the hidden "order" inputs, top to bottom)
// through htmx; the Move up / Move down buttons do the same without a mouse.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) { dialog.showModal(); }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open && closer.type !== "submit") { event.preventDefault(); open.close(); }
      else if (open) { setTimeout(function () { open.close(); }, 0); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "tier-modal-slot") {
      var modal = document.getElementById("tier-modal");
      if (modal && modal.showModal && !modal.matches(":modal")) {
        modal.removeAttribute("open");
        modal.showModal();
      }
      syncBounds(modal);
    }
  });

  // "Apply to new customers" disables the bounds; "Match return rate" only with a penalty.
  function syncBounds(root) {
    if (!root) { return; }
    var flag = root.querySelector("[name=applies_to_new_customers]");
    var penalty = root.querySelector("[name=penalty_enabled]");
    var match = root.querySelector("[name=penalty_matches_return_rate]");
    var discount = root.querySelector("[name=discount_enabled]");
    ["lower_bound", "upper_bound"].forEach(function (name) {
      var input = root.querySelector("[name=" + name + "]");
      if (input && flag) { input.disabled = flag.checked; }
    });
    if (match && penalty) { match.disabled = !penalty.checked; }
    var pct = root.querySelector("[name=penalty_percent]");
    if (pct && penalty) { pct.disabled = !penalty.checked || (match && match.checked); }
    var dpct = root.querySelector("[name=discount_percent]");
    if (dpct && discount) { dpct.disabled = !discount.checked; }
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form");
    if (form && form.querySelector("[name=applies_to_new_customers]")) { syncBounds(form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[name=applies_to_new_customers]")) { syncBounds(form); }
    });
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest("tbody[data-sortable] tr[draggable]");
    if (!row) { return; }
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.getAttribute("data-id"));
  });
  document.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var row = event.target.closest && event.target.closest("tbody[data-sortable] tr[draggable]");
    if (!row || row === dragged || row.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    var box = row.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });
  document.addEventListener("drop", function (event) {
    if (dragged) { event.preventDefault(); }
  });
  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var form = dragged.closest("form");
    dragged.classList.remove("dragging");
    dragged = null;
    if (form && window.htmx) { window.htmx.trigger(form, "tiers-reordered"); }
  });
})();
