/* The opportunity board: drag cards between stages (SortableJS), or move with Alt+←/→;
   the move toast's Undo (static/js/app.js) posts the move back. */
(function () {
  "use strict";

  function filters() {
    const board = document.getElementById("board");
    return board ? JSON.parse(board.dataset.filters || "{}") : {};
  }

  // Save a move; if the server refuses, put the card back where it was.
  function save(card, fromBody, toBody, undo) {
    const values = Object.assign({ stage_id: toBody.dataset.stageId, from_stage_id: fromBody.dataset.stageId }, filters());
    card.dataset.stageId = toBody.dataset.stageId;
    const onDone = (e) => {
      if (e.detail.elt !== card) return;
      card.removeEventListener("htmx:afterRequest", onDone);
      if (!e.detail.successful) { undo(); card.dataset.stageId = fromBody.dataset.stageId; }
    };
    card.addEventListener("htmx:afterRequest", onDone);
    htmx.ajax("POST", card.dataset.moveUrl, { source: card, swap: "none", values: values });
  }

  function init(root) {
    root.querySelectorAll(".column-body").forEach((body) => {
      if (body._sortable) return;
      body._sortable = Sortable.create(body, {
        group: "board", animation: 120, draggable: ".card[data-move-url]",
        // A drag may start anywhere on the card, its title too (a click there still opens the deal;
        // a drag fires no click); the quick buttons and form fields stay clickable.
        filter: "button, input, select, textarea", preventOnFilter: false,
        delay: 80, delayOnTouchOnly: true,
        onEnd(evt) {
          if (evt.from === evt.to) return;
          const from = evt.from, idx = evt.oldIndex, card = evt.item;
          save(card, from, evt.to, () => from.insertBefore(card, from.children[idx] || null));
        },
      });
    });
  }

  document.addEventListener("keydown", (e) => {
    if (!e.altKey || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
    const card = e.target.closest(".card[data-move-url]");
    if (!card) return;
    const from = card.closest(".column-body");
    const columns = Array.from(document.querySelectorAll(".column-body"));
    const to = columns[columns.indexOf(from) + (e.key === "ArrowRight" ? 1 : -1)];
    if (!to) return;
    e.preventDefault();
    const next = card.nextElementSibling;
    const slot = to.querySelector("[id^=new-slot-]");  // cards go below the new-opportunity slot
    to.insertBefore(card, slot ? slot.nextSibling : to.firstChild);
    card.focus();
    save(card, from, to, () => { from.insertBefore(card, next); card.focus(); });
  });

  // A card created with "+" arrives inside its column's form slot: make it an ordinary card of the
  // column (draggable, movable with the keyboard, kept when "+" opens the form again).
  document.addEventListener("htmx:afterSwap", () => {
    document.querySelectorAll("[id^=new-slot-] > .card[data-move-url]").forEach((card) => card.parentElement.after(card));
  });

  htmx.onLoad(init);
})();
