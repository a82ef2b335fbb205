// The kallelse's print button: shown only where script runs, since printing needs it; without script the
// page offers the PDF and the browser's own print command.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
