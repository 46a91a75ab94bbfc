/* Reorderable settings lists: a drag, or Alt+↑/↓ on the handle, fires "end" (hx-trigger="end"). */
(function () {
  "use strict";
  htmx.onLoad(function (root) {
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, {
        handle: ".sortable-handle", animation: 120,
        onEnd: function (evt) { if (evt.oldIndex !== evt.newIndex) list.dispatchEvent(new Event("end")); },
      });
    });
  });
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
    const handle = e.target.closest(".sortable-handle");
    const list = handle && handle.closest("[data-sortable]");
    if (!list) return;
    const item = handle.closest("li");
    const other = e.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    e.preventDefault();
    if (e.key === "ArrowUp") list.insertBefore(item, other); else list.insertBefore(other, item);
    handle.focus();
    refocus = handle.id;  // the list is re-rendered by the response: keep the keyboard user's place
    list.dispatchEvent(new Event("end"));
  });
  let refocus = null;
  document.addEventListener("htmx:afterSettle", function () {
    const el = refocus && document.getElementById(refocus);
    if (el) { el.focus(); refocus = null; }
  });
})();
