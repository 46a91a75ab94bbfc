/* Global behaviour: CSRF on every HTMX request, loading bar, toasts, dialogs, keyboard. */
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },            // invalid form: re-rendered with errors in place
    { code: "[45]..", swap: false, error: true },
  ];
  htmx.config.defaultSwapStyle = "outerHTML";
  htmx.config.historyCacheSize = 0;

  document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRFToken"] = csrf(); });

  // Loading bar while any request runs.
  let inflight = 0;
  const busy = (d) => { inflight = Math.max(0, inflight + d); document.documentElement.classList.toggle("busy", inflight > 0); };
  document.addEventListener("htmx:beforeRequest", () => busy(1));
  document.addEventListener("htmx:afterRequest", () => busy(-1));

  // Toasts.
  // `action` (optional, from the server): {label, url, values}, a button that posts once.
  function toast(message, level, action) {
    const box = document.getElementById("toasts");
    const el = document.createElement("div");
    el.className = "toast " + (level || "success");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    const text = document.createElement("div");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button"; close.textContent = "×"; close.setAttribute("aria-label", "Close");
    close.onclick = () => el.remove();
    el.append(text);
    if (action && action.url) {
      const btn = document.createElement("button");
      btn.type = "button"; btn.className = "btn small toast-action"; btn.textContent = action.label;
      btn.onclick = () => {
        btn.disabled = true;
        htmx.ajax("POST", action.url, { source: document.body, swap: "none", values: action.values || {} })
          .finally(() => el.remove());
      };
      el.append(btn);
    }
    el.append(close);
    box.appendChild(el);
    setTimeout(() => el.remove(), level === "error" ? 9000 : action ? 8000 : 4000);
  }
  window.crmToast = toast;
  document.body.addEventListener("toast", (e) => toast(e.detail.message, e.detail.level, e.detail.action));
  document.addEventListener("htmx:responseError", (e) => {
    const xhr = e.detail.xhr;
    if ((xhr.getResponseHeader("HX-Trigger") || "").includes('"toast"')) return; // the server said why
    toast(document.body.dataset.errorMessage + " (" + xhr.status + ")", "error");
  });
  document.addEventListener("htmx:sendError", () => toast(document.body.dataset.networkMessage, "error"));

  // Dialogs delivered by HTMX open themselves; [data-close] closes them.
  htmx.onLoad((root) => {
    root.querySelectorAll && root.querySelectorAll("dialog[data-open]").forEach((d) => {
      d.removeAttribute("data-open");
      if (!d.open) d.showModal();
      d.addEventListener("close", () => d.remove());
    });
    if (root.matches && root.matches("dialog[data-open]")) { root.removeAttribute("data-open"); root.showModal(); root.addEventListener("close", () => root.remove()); }
  });
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-close]");
    if (btn) btn.closest("dialog").close();
    // Cancel on an inline form: data-remove names what goes (no inline handlers under the CSP).
    const cancel = e.target.closest("[data-remove]");
    if (cancel) cancel.closest(cancel.dataset.remove).remove();
  });
  document.body.addEventListener("closeDialog", () => document.querySelectorAll("dialog[open]").forEach((d) => d.close()));

  // "/" opens the search dialog (static/js/search.js).

  // Flash messages from full-page loads.
  document.querySelectorAll("#flashes [data-message]").forEach((f) => toast(f.dataset.message, f.dataset.level));
})();
/* On a narrow screen the navigation folds behind its Menu button. */
document.addEventListener("click", (e) => {
  const toggle = e.target.closest(".nav-toggle");
  if (!toggle) return;
  const open = toggle.closest(".topbar").classList.toggle("nav-open");
  toggle.setAttribute("aria-expanded", String(open));
});
/* Menus in the top bar close when clicking elsewhere or pressing Escape. */
document.addEventListener("click", (e) => {
  document.querySelectorAll(".nav details[open]").forEach((d) => { if (!d.contains(e.target)) d.removeAttribute("open"); });
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") document.querySelectorAll(".nav details[open]").forEach((d) => d.removeAttribute("open"));
});
