// The time form without page loads: rows are added here, "the same time on several dates" fills them, and the
// summer-time question shows only for a time in the hour that repeats. Without script the form works as it is.
(function () {
  "use strict";
  var form = document.getElementById("slot-form");
  if (!form) {
    return;
  }
  var rows = document.getElementById("slot-rows");
  var template = document.getElementById("slot-row-template");
  var total = form.querySelector("input[name='slots-TOTAL_FORMS']");
  var max = parseInt(form.querySelector("input[name='slots-MAX_NUM_FORMS']").value, 10);
  var addRow = document.getElementById("add-slot-row");
  var sameTime = document.getElementById("same-time");
  var status = document.getElementById("same-time-status");

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  // 02:00–02:59 on the last Sunday of October happens twice in Stockholm (coordination/times.py).
  function inRepeatedHour(date, time) {
    var day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    if (!day || !/^02:/.test(time || "")) {
      return false;
    }
    var when = new Date(Date.UTC(+day[1], +day[2] - 1, +day[3]));
    return when.getUTCMonth() === 9 && when.getUTCDate() >= 25 && when.getUTCDay() === 0;
  }

  function showRepeatedHour(row) {
    var question = row.querySelector(".repeated-hour");
    var date = field(row, "date").value;
    var needed = inRepeatedHour(date, field(row, "start_time").value) ||
      inRepeatedHour(date, field(row, "end_time").value);
    // A question the server already asked stays until it is answered.
    question.hidden = !needed && !question.querySelector(".is-invalid");
  }

  function watch(row) {
    ["date", "start_time", "end_time"].forEach(function (name) {
      field(row, name).addEventListener("input", function () { showRepeatedHour(row); });
    });
    showRepeatedHour(row);
  }

  function allRows() {
    return Array.prototype.slice.call(rows.querySelectorAll(".slot-row"));
  }

  function refreshButtons() {
    var full = parseInt(total.value, 10) >= max;
    addRow.disabled = full;
  }

  function appendRow() {
    var index = parseInt(total.value, 10);
    if (index >= max) {
      return null;
    }
    var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__number__/g, index + 1);
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.querySelector(".slot-row");
    rows.appendChild(row);
    total.value = index + 1;
    watch(row);
    refreshButtons();
    return row;
  }

  function emptyRow() {
    return allRows().filter(function (row) {
      return !field(row, "date").value && !field(row, "start_time").value;
    })[0] || appendRow();
  }

  function addSameTime() {
    var date = document.getElementById("same-time-date");
    var start = document.getElementById("same-time-start");
    if (!date.value || !start.value) {
      status.textContent = sameTime.dataset.needBoth;
      (start.value ? date : start).focus();
      return;
    }
    var row = emptyRow();
    if (!row) {
      status.textContent = sameTime.dataset.full;
      return;
    }
    field(row, "date").value = date.value;
    field(row, "start_time").value = start.value;
    field(row, "end_time").value = document.getElementById("same-time-end").value;
    showRepeatedHour(row);
    status.textContent = sameTime.dataset.added.replace("__row__", row.querySelector("legend").textContent);
    date.value = "";
    date.focus();
  }

  allRows().forEach(watch);
  addRow.hidden = false;
  sameTime.hidden = false;
  refreshButtons();
  addRow.addEventListener("click", function () {
    var row = appendRow();
    if (row) {
      field(row, "date").focus();
    }
  });
  document.getElementById("same-time-add").addEventListener("click", addSameTime);
}());
