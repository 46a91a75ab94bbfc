/* Template and email-step editors: insert uploaded images (and shortcodes) at the cursor in the
   body; a slot may name the field it inserts into (data-insert-into), else the template's body. */
(function () {
  "use strict";
  function body() { return document.querySelector("#template-form textarea[name=body_html]"); }
  function insert(text, target) {
    const area = target || body();
    if (!area) return;
    const start = area.selectionStart ?? area.value.length, end = area.selectionEnd ?? start;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  let lastField = null;
  document.addEventListener("focusin", (e) => {
    if (e.target.matches("#template-form input[name=subject], #template-form textarea[name=body_html]")) lastField = e.target;
  });
  htmx.onLoad((root) => {
    const slot = root.matches && root.matches("[data-insert]") ? root : root.querySelector && root.querySelector("[data-insert]");
    if (slot) {
      const into = slot.dataset.insertInto ? document.querySelector(slot.dataset.insertInto) : body();
      insert(slot.dataset.insert, into);
      slot.removeAttribute("data-insert");
      document.body.dispatchEvent(new Event("imageInserted"));
    }
  });
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-insert-text]");
    if (btn) insert(btn.dataset.insertText, lastField || body());
  });
})();
