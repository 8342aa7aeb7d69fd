/* Quiz attempt page: save each answer as it changes, keep ordering positions distinct, show
   the time left. The server decides everything: it holds the deadline and grades the attempt;
   this script only sends the learner's answers and displays the deadline it was given. */
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (form && window.fetch && window.JSON) {
    setUpAutosave(form);
  }
  var timer = document.getElementById("quiz-timer");
  if (timer) {
    setUpTimer(timer);
  }

  function csrfToken() {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function each(nodes, callback) {
    Array.prototype.forEach.call(nodes, callback);
  }

  /* The response in the shape the server's grading expects; undefined = not ready to save. */
  function responseOf(fieldset) {
    var type = fieldset.getAttribute("data-type");
    if (type === "single" || type === "truefalse") {
      var checked = fieldset.querySelector('input[type="radio"]:checked');
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      var chosen = [];
      each(fieldset.querySelectorAll('input[type="checkbox"]:checked'), function (input) {
        chosen.push(input.value);
      });
      return chosen;
    }
    if (type === "short" || type === "numeric") {
      var text = fieldset.querySelector('input[type="text"]');
      return text && text.value.trim() !== "" ? text.value : null;
    }
    if (type === "matching") {
      var answer = {};
      each(fieldset.querySelectorAll("select[data-pair]"), function (select) {
        if (select.value) {
          answer[select.getAttribute("data-pair")] = select.value;
        }
      });
      return answer;
    }
    if (type === "ordering") {
      var placed = [];
      var blank = 0;
      var selects = fieldset.querySelectorAll("select[data-item]");
      each(selects, function (select) {
        if (select.value) {
          placed.push([parseInt(select.value, 10), select.getAttribute("data-item")]);
        } else {
          blank += 1;
        }
      });
      if (placed.length === 0) {
        return null;
      }
      if (blank > 0) {
        return undefined;
      }
      placed.sort(function (a, b) { return a[0] - b[0]; });
      return placed.map(function (pair) { return pair[1]; });
    }
    return null;
  }

  /* Seconds to wait before trying again: the server's Retry-After, else doubling, at most 30. */
  function retryDelay(reply, failures) {
    var header = reply && reply.headers ? parseInt(reply.headers.get("Retry-After"), 10) : NaN;
    var seconds = isNaN(header) ? Math.pow(2, Math.min(failures, 5)) : header;
    return Math.min(Math.max(seconds, 1), 30) * 1000;
  }

  /* A failure worth retrying: no answer at all, or the server saying it is briefly away. */
  function isTransient(status) {
    return status === 0 || status === 502 || status === 503 || status === 504;
  }

  function setUpAutosave(form) {
    var url = form.getAttribute("data-save-url");
    var inFlight = {};
    var again = {};
    var timers = {};
    var failures = {};
    var retries = {};

    function say(fieldset, text) {
      var status = fieldset.querySelector(".save-status");
      if (status) {
        status.textContent = text;
      }
    }

    /* The answer stays on the page; try again later, and at once when the tablet is online. */
    function retryLater(fieldset, id, reply) {
      failures[id] = (failures[id] || 0) + 1;
      say(fieldset, form.getAttribute("data-retrying"));
      window.clearTimeout(retries[id]);
      retries[id] = window.setTimeout(function () { save(fieldset); }, retryDelay(reply, failures[id]));
    }

    window.addEventListener("online", function () {
      each(form.querySelectorAll("fieldset[data-question-id]"), function (fieldset) {
        var id = fieldset.getAttribute("data-question-id");
        if (failures[id]) {
          window.clearTimeout(retries[id]);
          save(fieldset);
        }
      });
    });

    function save(fieldset) {
      var id = fieldset.getAttribute("data-question-id");
      if (inFlight[id]) {
        again[id] = true; /* send the newest state once the request in flight is done */
        return;
      }
      var response = responseOf(fieldset);
      if (response === undefined) {
        say(fieldset, form.getAttribute("data-incomplete"));
        return;
      }
      inFlight[id] = true;
      window.clearTimeout(retries[id]);
      window.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": csrfToken()
        },
        body: JSON.stringify({ question_id: id, response: response })
      }).then(function (reply) {
        return reply.json().then(function (data) {
          return { status: reply.status, data: data, reply: reply };
        }, function () {
          return { status: reply.status, data: {}, reply: reply };
        });
      }).then(function (result) {
        var error = result.data && result.data.error;
        if (result.status === 200) {
          failures[id] = 0;
          say(fieldset, form.getAttribute("data-saved"));
          fieldset.classList.remove("field-error");
        } else if (error && error.result_url) {
          window.location.assign(error.result_url);
        } else if (isTransient(result.status)) {
          retryLater(fieldset, id, result.reply);
        } else {
          say(fieldset, (error && error.message) || form.getAttribute("data-not-saved"));
        }
      }, function () {
        retryLater(fieldset, id, null); /* no answer: offline or the server unreachable */
      }).then(function () {
        inFlight[id] = false;
        if (again[id]) {
          again[id] = false;
          save(fieldset);
        }
      });
    }

    setUpSubmitKeepingAnswers(form);

    /* Choosing a position already taken swaps the two items, so positions stay distinct. */
    function keepPositionsDistinct(select) {
      var fieldset = select.closest("fieldset");
      var previous = select.getAttribute("data-previous") || "";
      each(fieldset.querySelectorAll("select[data-item]"), function (other) {
        if (other !== select && select.value && other.value === select.value) {
          other.value = previous;
          other.setAttribute("data-previous", previous);
        }
      });
      select.setAttribute("data-previous", select.value);
    }

    each(form.querySelectorAll("select[data-item]"), function (select) {
      select.setAttribute("data-previous", select.value);
    });

    form.addEventListener("change", function (event) {
      var fieldset = event.target.closest("fieldset[data-question-id]");
      if (!fieldset) {
        return;
      }
      if (event.target.hasAttribute("data-item")) {
        keepPositionsDistinct(event.target);
      }
      save(fieldset);
    });

    form.addEventListener("input", function (event) {
      if (event.target.type !== "text") {
        return;
      }
      var fieldset = event.target.closest("fieldset[data-question-id]");
      if (!fieldset) {
        return;
      }
      var id = fieldset.getAttribute("data-question-id");
      window.clearTimeout(timers[id]);
      timers[id] = window.setTimeout(function () { save(fieldset); }, 800);
    });
  }

  /* Sending the page (next, previous, finish) goes through fetch: when the platform is briefly
     away the learner stays on this page with every answer in place, is told so, and the page
     sends again by itself. Any other answer is shown as a normal form submission would. */
  function setUpSubmitKeepingAnswers(form) {
    var status = document.getElementById("quiz-form-status");
    var sending = false;
    var failures = 0;
    var retry = null;
    var lastButton = null;

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[type=submit]");
      if (button) {
        lastButton = button;
      }
    });

    function tell(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function submitNatively(name, value) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = name;
      hidden.value = value;
      form.appendChild(hidden);
      form.setAttribute("data-native", "yes");
      form.submit();
    }

    function send(name, value) {
      sending = true;
      var data = new FormData(form);
      if (name) {
        data.append(name, value);
      }
      window.fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "text/html" },
        body: data
      }).then(function (reply) {
        if (isTransient(reply.status)) {
          waitAndResend(reply, name, value);
        } else if (reply.ok && reply.redirected) {
          window.location.assign(reply.url);
        } else {
          submitNatively(name, value); /* let the browser show the answer, errors included */
        }
      }, function () {
        waitAndResend(null, name, value);
      });
    }

    function waitAndResend(reply, name, value) {
      failures += 1;
      sending = false;
      tell(form.getAttribute("data-unavailable"));
      window.clearTimeout(retry);
      retry = window.setTimeout(function () { send(name, value); }, retryDelay(reply, failures));
    }

    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-native") === "yes" || !window.FormData) {
        return;
      }
      event.preventDefault();
      if (sending) {
        return;
      }
      window.clearTimeout(retry);
      var button = event.submitter || lastButton;
      send(button && button.name, button && button.value);
    });
  }

  function setUpTimer(timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    /* Display the server's clock, not the tablet's: they may disagree. */
    var offset = Date.parse(timer.getAttribute("data-now")) - Date.now();
    var grace = parseInt(timer.getAttribute("data-grace") || "10", 10);
    var value = document.getElementById("quiz-timer-value");
    var alert = document.getElementById("quiz-timer-alert");
    var initial = secondsLeft();
    var handle = null;

    function secondsLeft() {
      return Math.max(0, Math.round((deadline - (Date.now() + offset)) / 1000));
    }

    function announce(text) {
      if (alert) {
        alert.textContent = text;
      }
    }

    function tick() {
      var left = secondsLeft();
      if (left > 0) {
        var seconds = left % 60;
        value.textContent = timer.getAttribute("data-label-minutes")
          .replace("{m}", String(Math.floor(left / 60)))
          .replace("{s}", (seconds < 10 ? "0" : "") + seconds);
      } else {
        value.textContent = timer.getAttribute("data-label-over");
      }
      if (initial > 300 && left <= 300) {
        initial = 300;
        announce(timer.getAttribute("data-alert-five"));
      }
      if (initial > 60 && left <= 60) {
        initial = 60;
        announce(timer.getAttribute("data-alert-one"));
      }
      if (left === 0) {
        window.clearInterval(handle);
        announce(timer.getAttribute("data-label-over"));
        /* The server shows "time is up" once its grace for requests in flight is over. */
        window.setTimeout(function () { window.location.reload(); }, (grace + 1) * 1000);
      }
    }

    tick();
    handle = window.setInterval(tick, 1000);
  }
}());
