/* Searchable pickers (templates/admin/picker.html, app/admin/pickers.py).
 *
 * Each .md-picker wraps a plain text field (ids "1,2,3" or one phone per line). This script
 * hides that field, shows the chips of the chosen items and a search box whose results come
 * from the view's tenant-scoped JSON endpoint (?field=...&q=...), and writes the chips back
 * into the field, so the form posts exactly what it posted without JavaScript. */
(function () {
  "use strict";
  if (window.mdPickerLoaded) { return; }
  window.mdPickerLoaded = true;

  function setup(root) {
    if (root.dataset.pickerReady) { return; }
    root.dataset.pickerReady = "1";
    var field = root.querySelector(".md-picker-fallback input, .md-picker-fallback textarea");
    var fallback = root.querySelector(".md-picker-fallback");
    var ui = root.querySelector(".md-picker-ui");
    var chips = root.querySelector(".md-picker-chips");
    var search = root.querySelector(".md-picker-search");
    var results = root.querySelector(".md-picker-results");
    var separator = root.dataset.pickerSeparator === "newline" ? "\n" : (root.dataset.pickerSeparator || ",");
    var timer = null;
    var sequence = 0;

    function parts(text) {
      return (text || "").replace(/，|、/g, ",").replace(/\n/g, ",").split(",")
        .map(function (s) { return s.trim(); }).filter(function (s) { return s; });
    }

    // Values typed in the field that the server could not show as chips (unknown ids) stay
    // in the field: the form's own check names them.
    var known = {};
    chips.querySelectorAll(".md-chip").forEach(function (chip) { known[chip.dataset.value] = true; });
    var unresolved = parts(field.value).filter(function (v) { return !known[v]; });

    function values() {
      return Array.prototype.map.call(chips.querySelectorAll(".md-chip"), function (chip) {
        return chip.dataset.value;
      });
    }

    function sync() {
      field.value = values().concat(unresolved).join(separator);
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function addChip(value, label) {
      if (values().indexOf(value) >= 0) { return; }
      var chip = document.createElement("span");
      chip.className = "md-chip";
      chip.dataset.value = value;
      chip.appendChild(document.createTextNode(label + " "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "md-chip-remove";
      remove.setAttribute("aria-label", (root.dataset.pickerRemove || "") + " " + label);
      remove.textContent = "\u00d7";
      chip.appendChild(remove);
      chips.appendChild(chip);
      sync();
    }

    chips.addEventListener("click", function (event) {
      var button = event.target.closest(".md-chip-remove");
      if (!button) { return; }
      var chip = button.closest(".md-chip");
      results.querySelectorAll(".md-picker-option").forEach(function (option) {
        if (option.dataset.value === chip.dataset.value) { option.classList.remove("md-picker-chosen"); }
      });
      chip.remove();
      sync();
      search.focus();
    });

    function message(text) {
      results.innerHTML = "";
      var item = document.createElement("div");
      item.className = "list-group-item text-muted md-picker-message";
      item.textContent = text;
      results.appendChild(item);
    }

    function show(items) {
      results.innerHTML = "";
      if (!items.length) { message(root.dataset.pickerEmpty || ""); return; }
      var chosen = values();
      items.forEach(function (it) {
        var option = document.createElement("button");
        option.type = "button";
        option.className = "list-group-item md-picker-option";
        option.setAttribute("role", "option");
        option.dataset.value = it.value;
        option.textContent = it.label;
        if (chosen.indexOf(it.value) >= 0) { option.classList.add("md-picker-chosen"); }
        option.addEventListener("click", function () {
          addChip(it.value, it.label);
          option.classList.add("md-picker-chosen");
        });
        results.appendChild(option);
      });
    }

    function query() {
      var mine = ++sequence;
      var url = root.dataset.pickerUrl + (root.dataset.pickerUrl.indexOf("?") >= 0 ? "&" : "?") +
        "q=" + encodeURIComponent(search.value.trim());
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { if (mine === sequence) { show(data.items || []); } })
        .catch(function () { if (mine === sequence) { message(root.dataset.pickerError || ""); } });
    }

    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(query, 250);
    });
    search.addEventListener("focus", function () { if (!results.children.length) { query(); } });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // Enter picks the first result instead of posting
        event.preventDefault();
        var first = results.querySelector(".md-picker-option");
        if (first) { first.click(); }
      }
    });

    fallback.hidden = true;
    ui.hidden = false;
  }

  function init() { document.querySelectorAll(".md-picker").forEach(setup); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
