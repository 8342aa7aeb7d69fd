// Live preview for the module editor: after a pause in typing, the Markdown is sent to the
// server, which answers with the sanitised HTML of the one rendering pipeline (no Markdown is
// rendered in the browser). The CSRF token travels in a header.
(function () {
  "use strict";

  var DELAY_MS = 400;
  var textarea = document.querySelector("textarea.markdown-input");
  var preview = document.getElementById("live-preview");
  if (!textarea || !preview) {
    return;
  }
  var form = textarea.form;
  var tokenField = form ? form.querySelector('input[name="csrf_token"]') : null;
  var warningsList = document.getElementById("preview-warnings");
  var noWarnings = document.getElementById("preview-no-warnings");
  var status = document.getElementById("preview-status");
  var timer = null;
  var sent = 0;
  var shown = 0;

  function showWarnings(warnings) {
    if (!warningsList) {
      return;
    }
    while (warningsList.firstChild) {
      warningsList.removeChild(warningsList.firstChild);
    }
    warnings.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      warningsList.appendChild(item);
    });
    if (noWarnings) {
      noWarnings.classList.toggle("hidden", warnings.length > 0);
    }
  }

  function refresh() {
    var ticket = ++sent;
    fetch(preview.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": tokenField ? tokenField.value : "",
      },
      body: JSON.stringify({
        markdown: textarea.value,
        language: preview.getAttribute("data-language"),
      }),
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("preview failed: " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (ticket < shown) {
          return; // an older answer arriving late
        }
        shown = ticket;
        // The server returns the sanitiser's output: the same HTML learners get.
        preview.innerHTML = data.html;
        showWarnings(data.warnings || []);
        preview.setAttribute("data-preview-state", "fresh");
        if (status) {
          status.textContent = preview.getAttribute("data-updated-label") || "";
        }
      })
      .catch(function () {
        preview.setAttribute("data-preview-state", "failed");
      });
  }

  textarea.addEventListener("input", function () {
    preview.setAttribute("data-preview-state", "pending");
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(refresh, DELAY_MS);
  });
})();
