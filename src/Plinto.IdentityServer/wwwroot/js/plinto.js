// Progressive enhancement only: every page works without this file.
// A submit button shows progress and cannot submit the same form twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  const button = event.submitter;
  if (button) {
    button.setAttribute("aria-busy", "true");
    // Keep the clicked button's name/value in the post, then block further clicks.
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => (b.disabled = true)), 0);
  }
});
// Move focus to the error summary so screen readers announce it.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();
});
