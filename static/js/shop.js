// Small behaviours of the storefront, bound here rather than in inline handlers
// (the Content-Security-Policy allows scripts from our own files only: docs/reliability.md, defect 10).
//   <select data-autosubmit>        submits its form when changed (the sort menu)
//   <form data-confirm="Question?"> asks before it submits (cancelling an order)
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
