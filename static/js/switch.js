/* Forms whose fields depend on a choice (campaign audience, trigger event): show only the fields
   the chosen value needs. Without JavaScript every field stays visible and the server ignores the rest. */
(function () {
  "use strict";
  const PAIRS = [["data-audience-switch", "data-audience"], ["data-event-switch", "data-event"]];
  function sync(root) {
    PAIRS.forEach(([switchAttr, caseAttr]) => {
      root.querySelectorAll && root.querySelectorAll(`[${switchAttr}]`).forEach((select) => {
        const form = select.closest("form") || document;
        const show = () => form.querySelectorAll(`[${caseAttr}]`).forEach((el) => {
          el.hidden = !el.getAttribute(caseAttr).split(" ").includes(select.value);
        });
        if (!select._switch) { select.addEventListener("change", show); select._switch = true; }
        show();
      });
    });
  }
  htmx.onLoad(sync);
})();
