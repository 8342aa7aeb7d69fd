// Campaign form: a week picked or typed ("2027-W46") fills the date beside it at once
// (its Monday starts the campaign, its Sunday ends it). The server does the same on save,
// so the form works without this file; it only shows the dates before saving.
(function () {
  "use strict";

  // The Monday of ISO week `week` of `year` (week 1 holds 4 January), as a UTC date.
  function isoMonday(year, week) {
    var jan4 = new Date(Date.UTC(year, 0, 4));
    var day = jan4.getUTCDay() || 7;
    var monday = new Date(jan4);
    monday.setUTCDate(jan4.getUTCDate() - day + 1 + (week - 1) * 7);
    return monday;
  }

  function parseWeek(text) {
    var match = /^\s*(\d{4})\s*-?\s*W\s*(\d{1,2})\s*$/i.exec(text || "");
    if (!match) {
      return null;
    }
    var year = Number(match[1]);
    var week = Number(match[2]);
    var monday = isoMonday(year, week);
    // A week the year does not have (W53 of a 52-week year) lands in the next ISO year.
    if (week < 1 || isoMonday(year + 1, 1) <= monday) {
      return null;
    }
    return monday;
  }

  function isoDate(date) {
    return date.toISOString().slice(0, 10);
  }

  function link(weekId, dateId, offsetDays) {
    var weekInput = document.getElementById(weekId);
    var dateInput = document.getElementById(dateId);
    if (!weekInput || !dateInput) {
      return;
    }
    weekInput.addEventListener("change", function () {
      var monday = parseWeek(weekInput.value);
      if (!monday) {
        return;
      }
      monday.setUTCDate(monday.getUTCDate() + offsetDays);
      dateInput.value = isoDate(monday);
    });
  }

  link("starts_week", "starts_on", 0);
  link("ends_week", "ends_on", 6);
})();
