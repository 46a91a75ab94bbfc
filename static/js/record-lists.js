/* Record lists: tick rows (one, or all on the page) for the bulk actions above the table. */
(function () {
  "use strict";
  function refresh(root) {
    const form = root.querySelector("[data-bulk]");
    if (!form) return;
    const boxes = Array.from(root.querySelectorAll("input[data-pick]"));
    const ticked = boxes.filter((b) => b.checked);
    boxes.forEach((b) => b.closest("tr").classList.toggle("picked", b.checked));
    const all = root.querySelector("input[data-pick-all]");
    if (all) {
      all.checked = ticked.length > 0 && ticked.length === boxes.length;
      all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
    }
    const count = form.querySelector("[data-bulk-count]");
    const n = ticked.length;
    count.textContent = n === 0 ? count.dataset.none : n === 1 ? count.dataset.one : count.dataset.many.replace("{n}", n);
    form.querySelectorAll("button[name=action]").forEach((b) => { b.disabled = n === 0; });
    form.classList.toggle("idle", n === 0);
  }
  const results = () => document.getElementById("results");
  document.addEventListener("change", (e) => {
    if (e.target.matches("input[data-pick-all]")) {
      results().querySelectorAll("input[data-pick]").forEach((b) => { b.checked = e.target.checked; });
    }
    if (e.target.matches("input[data-pick], input[data-pick-all]")) refresh(results());
  });
  document.addEventListener("htmx:afterSettle", () => { if (results()) refresh(results()); });
  if (results()) refresh(results());
})();
