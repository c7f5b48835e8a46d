// Keyboard-first search: "/" focuses the member search unless the person is typing somewhere.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const search = document.getElementById("q");
  if (search) {
    event.preventDefault();
    search.focus();
    search.select();
  }
});

// A 500 is not swapped (base.html's htmx-config): say so above the page, leaving the form and its key alone.
document.addEventListener("htmx:responseError", function (event) {
  const notice = document.getElementById("request-failed");
  if (notice && event.detail.xhr && event.detail.xhr.status === 500) notice.hidden = false;
});
document.addEventListener("htmx:afterRequest", function (event) {
  const notice = document.getElementById("request-failed");
  if (notice && event.detail.successful) notice.hidden = true;
});
