// Optify's only script. No inline scripts anywhere: the Content-Security-Policy forbids them.
// Everything here is an enhancement: without it every page still works (the navigation and
// the filters simply stay open).
"use strict";

document.documentElement.classList.add("js");

// A button that shows and hides the element named by its aria-controls, saying so in
// aria-expanded. Escape closes an open one and gives focus back to its button.
function disclosure(button) {
  const panel = document.getElementById(button.getAttribute("aria-controls"));
  if (!panel) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    setExpanded(button, button.getAttribute("aria-expanded") !== "true");
  });
}

function setExpanded(button, open) {
  button.setAttribute("aria-expanded", String(open));
  document.getElementById(button.getAttribute("aria-controls"))?.classList.toggle("is-open", open);
}

// How many filters of a filter form are set: one per field that has a value (a ticked box,
// a typed text or date; a range's two ends count once), radio buttons aside (they say how
// another filter reads).
function activeFilters(form) {
  const names = new Set();
  form.querySelectorAll("input, select").forEach((control) => {
    if (control.type === "hidden" || control.type === "radio" || control.type === "submit") return;
    if (control.type === "checkbox" ? control.checked : control.value.trim() !== "") {
      names.add(control.name.replace(/_(after|before|min|max)$/, ""));
    }
  });
  return names.size;
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".nav-button, .filters-button").forEach(disclosure);

  // On a laptop the filters start open above the table; on a phone or a tablet, folded.
  if (window.matchMedia("(min-width: 1280px)").matches) {
    document.querySelectorAll(".filters-button").forEach((button) => setExpanded(button, true));
  }
  document.querySelectorAll(".filters-button").forEach((button) => {
    const form = document.getElementById(button.getAttribute("aria-controls"));
    const count = form ? activeFilters(form) : 0;
    const label = button.querySelector(".filters-count");
    if (label && count) label.textContent = ` (${count})`;
  });

  // A chart or a table of months wider than its frame (a phone) shows its latest first, as
  // the laptop does: the report's weeks, the Billing page's months by location.
  document.querySelectorAll(".trend-frame, [data-scroll-to-end]").forEach((frame) => {
    frame.scrollLeft = frame.scrollWidth;
  });

  // Close any open <details class="menu"> when clicking elsewhere or pressing Escape.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll('.nav-button[aria-expanded="true"]').forEach((button) => {
      setExpanded(button, false);
      button.focus();
    });
    document.querySelectorAll("details.menu[open], details.tip[open]").forEach((menu) => {
      menu.removeAttribute("open");
      menu.querySelector("summary")?.focus();
    });
  });

  // Forms marked data-autosubmit submit when a control changes (e.g. page size).
  document.querySelectorAll("[data-autosubmit]").forEach((control) => {
    control.addEventListener("change", () => control.form?.requestSubmit());
  });

  // Buttons that ask before they act: data-confirm="Are you sure?".
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
});
