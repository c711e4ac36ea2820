// Every page: confirmations, and a message when an htmx request gets no usable answer. Plain
// JavaScript in a static file (the Content-Security-Policy allows no inline script); the pages
// work without it.
(function () {
  "use strict";

  // <form data-confirm="Delete …?"> asks before it is sent.
  document.addEventListener("submit", function (event) {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // htmx swaps nothing when the server answers an error (a 503 while StudyIn is briefly
  // unavailable) or cannot be reached: say so instead of leaving a button that seems dead.
  function notice(text) {
    let box = document.getElementById("htmx-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "htmx-notice";
      box.className = "notice";
      box.setAttribute("role", "alert");
      const main = document.querySelector("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    notice(
      status === 503
        ? "StudyIn is briefly unavailable. Nothing you did is lost: try again in a moment."
        : "That did not work (error " + status + "). Reload the page and try again."
    );
  });
  document.addEventListener("htmx:sendError", function () {
    notice("StudyIn cannot be reached. Check your connection; nothing you did is lost.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const box = document.getElementById("htmx-notice");
    if (box && event.detail.successful) box.remove();
  });
})();
