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

// Uploads without leaving the editor: the file is sent with fetch() and the server answers
// with the Markdown snippet, inserted where the cursor is, so the unsaved text is kept.
// Without script the form posts normally (the server then shows the snippet to paste).
(function () {
  "use strict";

  var uploadForm = document.getElementById("upload-form");
  var textarea = document.querySelector("textarea.markdown-input");
  if (!uploadForm || !textarea || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("upload-status");

  function say(text, isError) {
    if (status) {
      status.textContent = text;
      status.classList.toggle("upload-error", Boolean(isError));
    }
  }

  function insertAtCursor(snippet) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    if (typeof start !== "number") {
      start = end = textarea.value.length;
    }
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    // The snippet goes on a line of its own, as Markdown images and links are written.
    var text = (before && !/\n$/.test(before) ? "\n" : "") + snippet + (/^\n/.test(after) ? "" : "\n");
    textarea.value = before + text + after;
    var cursor = before.length + text.length;
    textarea.setSelectionRange(cursor, cursor);
    // The live preview and the unsaved-changes guard listen to typing.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  uploadForm.addEventListener("submit", function (event) {
    event.preventDefault();
    // Nothing chosen: say so here instead of sending an empty upload the server must refuse.
    var picker = uploadForm.querySelector('input[type="file"]');
    if (picker && picker.files && picker.files.length === 0) {
      say(uploadForm.getAttribute("data-no-file-label") || "", true);
      picker.focus();
      return;
    }
    var button = uploadForm.querySelector("button[type=submit]");
    var token = uploadForm.querySelector('input[name="csrf_token"]');
    if (button) {
      button.disabled = true;
    }
    say("", false);
    fetch(uploadForm.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: new FormData(uploadForm),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (result.ok) {
          insertAtCursor(result.data.snippet);
          uploadForm.reset();
          say(result.data.message || "", false);
        } else {
          var error = result.data && result.data.error;
          say((error && error.message) || uploadForm.getAttribute("data-failed-label"), true);
        }
      })
      .catch(function () {
        say(uploadForm.getAttribute("data-failed-label"), true);
      })
      .then(function () {
        if (button) {
          button.disabled = false;
        }
      });
  });
})();

// A warning before leaving the editor with unsaved changes: only when the text differs from
// what was loaded (a save posts the form and reloads the page, so it counts as loaded again).
(function () {
  "use strict";

  var editorForm = document.getElementById("editor-form");
  if (!editorForm) {
    return;
  }
  var fields = editorForm.querySelectorAll("input:not([type=hidden]), textarea");
  var loaded = Array.prototype.map.call(fields, function (field) {
    return field.value;
  });
  var saving = false;

  function isChanged() {
    return Array.prototype.some.call(fields, function (field, index) {
      return field.value !== loaded[index];
    });
  }

  editorForm.addEventListener("submit", function () {
    saving = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (saving || !isChanged()) {
      return;
    }
    event.preventDefault();
    event.returnValue = ""; // older browsers need it to show their own warning
  });
})();
