// The sheets' Print button (no inline handlers: the page's CSP allows only scripts from this site).
// Without JavaScript the button stays hidden and the hint next to it says Ctrl+P.
function showPrintButtons() {
  document.querySelectorAll("[data-print]").forEach((button) => { button.hidden = false; });
}
showPrintButtons();
document.body.addEventListener("htmx:afterSettle", showPrintButtons); // a new day swapped in
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
