// Keyboard-first desk: "/" to search, j/k or arrows through rows, Enter opens, Escape closes, focus kept in place,
// and what changed said aloud through the #announce live region.
(function () {
  "use strict";
  let opener = null; // the row link that opened the panel: focus goes back to it on close
  let outcomeUntil = 0; // an adjustment's outcome is not talked over by the list refreshing behind it

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }
  function rows() {
    return Array.from(document.querySelectorAll("#results .member-link"));
  }
  function panel() {
    return document.getElementById("panel");
  }
  function panelOpen() {
    const p = panel();
    return p && p.children.length > 0;
  }
  function announce(text) {
    const region = document.getElementById("announce");
    if (!region || !text) return;
    region.textContent = "";
    // A fresh text node after a tick, so the same words twice are still read.
    window.setTimeout(function () { region.textContent = text.replace(/\s+/g, " ").trim(); }, 50);
  }
  function closePanel() {
    const p = panel();
    if (!p) return;
    p.replaceChildren();
    document.body.classList.remove("sheet-open");
    const back = opener && document.contains(opener) ? opener : rows()[0];
    if (back) back.focus();
  }
  function moveRow(step) {
    const list = rows();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(at + step, 0), list.length - 1);
    list[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "Escape" && panelOpen()) {
      event.preventDefault();
      closePanel();
      return;
    }
    if (target && target.id === "q" && event.key === "ArrowDown") {
      event.preventDefault();
      moveRow(1);
      return;
    }
    if (typing(target)) return;
    if (event.key === "/") {
      const search = document.getElementById("q");
      if (search) {
        event.preventDefault(); // focus the box without typing the slash into it
        search.focus();
        search.select();
      }
    } else if ((event.key === "j" || event.key === "ArrowDown") && (rows().includes(target) || target === document.body)) {
      event.preventDefault();
      moveRow(1);
    } else if ((event.key === "k" || event.key === "ArrowUp") && (rows().includes(target) || target === document.body)) {
      event.preventDefault();
      moveRow(-1);
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) {
      event.preventDefault();
      closePanel();
    }
    const toggle = event.target.closest("#nav-toggle");
    if (toggle) {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      document.getElementById("site-nav").classList.toggle("open", open);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.classList && elt.classList.contains("member-link")) opener = elt;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id && target.id.indexOf("adjust-") === 0) outcomeUntil = Date.now() + 4000;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (!target) return;
    if (target.id === "panel") {
      document.body.classList.add("sheet-open");
      return; // focus waits for afterSettle: htmx binds the panel's links only when the swap settles
    }
    if (target.id === "results" && Date.now() > outcomeUntil) {
      const said = target.querySelector("[data-announce]");
      if (said) announce(said.textContent);
    }
  });

  // An adjustment's outcome (and the quick reason picker) arrive by outerHTML swaps of their box.
  // Focus moves only after the settle, when htmx has bound the new controls: before it, a fast Tab+Enter on the
  // +1 link would follow its href as a whole page load instead of opening the form in place.
  document.addEventListener("htmx:afterSettle", function (event) {
    const elt = event.detail.elt;
    if (!elt || !elt.querySelector) return;
    if (elt.id === "panel") {
      const heading = elt.querySelector(".panel-heading") || elt;
      heading.focus();
      announce((heading.textContent || "Member").trim() + " opened.");
      return;
    }
    const said = elt.querySelector("[data-announce]");
    if (said && elt.id !== "results") {
      outcomeUntil = Date.now() + 4000;
      announce(said.textContent);
    }
    const first = elt.querySelector("[data-autofocus]");
    if (first) first.focus();
    else if (elt.classList && elt.classList.contains("adjust")) {
      const control = elt.querySelector("input:not([type=hidden]), button, a.button");
      if (control) control.focus();
    }
  });
})();

// "Copy e-mails" on a Needs attention list: the clipboard when the browser allows it, else the list selected to copy by hand.
document.addEventListener("click", async function (event) {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const region = document.getElementById("announce");
  const count = field.value.split(",").filter(function (s) { return s.trim(); }).length;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied " + count + (count === 1 ? " e-mail" : " e-mails");
    if (region) region.textContent = count + " e-mails copied to the clipboard.";
  } catch (error) {
    const details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    field.select();
    if (region) region.textContent = "Press Control+C (Command+C) to copy the selected e-mails.";
  }
});

// Every control that waits for Wix says so: busy while its request runs (the stylesheet adds a spinner).
document.addEventListener("htmx:beforeRequest", function (event) {
  const elt = event.detail.elt;
  if (elt && elt.setAttribute) elt.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterRequest", function (event) {
  const elt = event.detail.elt;
  if (elt && elt.removeAttribute) elt.removeAttribute("aria-busy");
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
