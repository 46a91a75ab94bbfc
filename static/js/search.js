/* Find anything: Ctrl-K / Cmd-K or "/" opens the top bar's search dialog; arrows move through
   the results, Enter opens one, Esc closes. Without JavaScript the button is a link to /search. */
(function () {
  "use strict";
  const dialog = () => document.getElementById("find-dialog");
  const typing = (el) => el && el.closest && el.closest("input, textarea, select, [contenteditable]");

  function open() {
    const d = dialog();
    if (!d) return false;
    if (!d.open) d.showModal();
    const input = d.querySelector("input[name=q]");
    input.focus();
    input.select();
    return true;
  }

  function hits(d) { return Array.from(d.querySelectorAll("#find-dialog-results [data-hit]")); }

  function mark(d, index) {
    const all = hits(d);
    const input = d.querySelector("input[name=q]");
    all.forEach((a, i) => {
      const on = i === index;
      a.classList.toggle("active", on);
      a.setAttribute("aria-selected", String(on));
      if (on) {
        a.id = a.id || "find-hit-" + i;
        input.setAttribute("aria-activedescendant", a.id);
        a.scrollIntoView({ block: "nearest" });
      }
    });
    if (index < 0 || !all.length) input.removeAttribute("aria-activedescendant");
  }

  function current(d) { return hits(d).findIndex((a) => a.classList.contains("active")); }

  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
      const d = dialog();
      if (!d) return;
      e.preventDefault();
      if (d.open) d.close(); else open();
      return;
    }
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      if (document.querySelector("dialog[open]")) return; // another dialog is in the way
      if (open()) e.preventDefault();
    }
  });

  document.addEventListener("click", (e) => {
    const opener = e.target.closest("[data-find-open]");
    if (opener && open()) e.preventDefault();
    const d = dialog();
    if (d && e.target === d) d.close(); // a click on the backdrop
  });

  document.addEventListener("keydown", (e) => {
    const d = dialog();
    if (!d || !d.open || !d.contains(e.target)) return;
    const all = hits(d);
    const at = current(d);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!all.length) return;
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      mark(d, at < 0 ? (step > 0 ? 0 : all.length - 1) : (at + step + all.length) % all.length);
    } else if (e.key === "Enter" && e.target.matches("input[name=q]") && at >= 0) {
      e.preventDefault(); // the highlighted result; with none, the form opens the results page
      window.location.assign(all[at].href);
    }
  });

  document.addEventListener("mousemove", (e) => {
    const a = e.target.closest && e.target.closest("#find-dialog-results [data-hit]");
    if (a) { const d = dialog(); mark(d, hits(d).indexOf(a)); }
  });

  // New results: the first one is highlighted, ready for Enter.
  document.addEventListener("htmx:afterSwap", (e) => {
    if (e.detail.target && e.detail.target.id === "find-dialog-results") mark(dialog(), 0);
  });
})();
