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

  function setUpAutosave(form) {
    var url = form.getAttribute("data-save-url");
    var inFlight = {};
    var again = {};
    var timers = {};

    function say(fieldset, text) {
      var status = fieldset.querySelector(".save-status");
      if (status) {
        status.textContent = text;
      }
    }

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
          return { status: reply.status, data: data };
        }, function () {
          return { status: reply.status, data: {} };
        });
      }).then(function (result) {
        var error = result.data && result.data.error;
        if (result.status === 200) {
          say(fieldset, form.getAttribute("data-saved"));
          fieldset.classList.remove("field-error");
        } else if (error && error.result_url) {
          window.location.assign(error.result_url);
        } else {
          say(fieldset, (error && error.message) || form.getAttribute("data-not-saved"));
        }
      }, function () {
        say(fieldset, form.getAttribute("data-not-saved"));
      }).then(function () {
        inFlight[id] = false;
        if (again[id]) {
          again[id] = false;
          save(fieldset);
        }
      });
    }

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
