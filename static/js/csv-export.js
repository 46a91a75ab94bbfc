// "Export CSV" exports what the list shows: the link takes the page's current query string
// (the search, and any filter), which HTMX keeps in the address bar as the list changes.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-export-base]");
  if (link) link.href = link.dataset.exportBase + window.location.search;
});
