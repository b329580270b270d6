// Optify's only script. No inline scripts anywhere: the Content-Security-Policy forbids them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Close any open <details class="menu"> when clicking elsewhere or pressing Escape.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
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
