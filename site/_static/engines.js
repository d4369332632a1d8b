/* The site-wide choice of engine for the engine tabs (site/engine_tabs.py builds them).
 *
 * Every cell whose output differs on PostgreSQL or MariaDB has its own tabs: radio buttons that the CSS alone
 * switches, so they work without this script, one cell at a time. This script adds the buttons at the top of a
 * lesson ("Show every output on …"): a click there checks that engine's tab in every cell of the page, and the
 * choice is kept in localStorage, so every other page (and this one after a reload) opens on it. A cell that has no
 * output from the chosen engine shows SQLite's. A click on one cell's tab changes that cell only.
 */
(function () {
  "use strict";
  var KEY = "course-engine";
  var DEFAULT = "sqlite";

  function stored() {
    try {
      return window.localStorage.getItem(KEY) || DEFAULT;
    } catch (error) {
      return DEFAULT; // storage switched off: the page opens on SQLite
    }
  }

  function show(engine) {
    var switches = document.querySelectorAll(".engine-switch");
    for (var i = 0; i < switches.length; i++) {
      var radios = switches[i].querySelectorAll("input.engine-radio");
      var chosen = null;
      var fallback = null;
      for (var j = 0; j < radios.length; j++) {
        if (radios[j].value === engine) chosen = radios[j];
        if (radios[j].value === DEFAULT) fallback = radios[j];
      }
      (chosen || fallback || radios[0]).checked = true;
    }
    var buttons = document.querySelectorAll("button.engine-choice");
    for (var k = 0; k < buttons.length; k++) {
      buttons[k].setAttribute("aria-pressed", String(buttons[k].getAttribute("data-engine") === engine));
    }
    document.documentElement.setAttribute("data-engine", engine);
  }

  function choose(engine) {
    try {
      window.localStorage.setItem(KEY, engine);
    } catch (error) {
      /* not remembered, but this page still switches */
    }
    show(engine);
  }

  function start() {
    var choosers = document.querySelectorAll(".engine-chooser");
    for (var i = 0; i < choosers.length; i++) choosers[i].hidden = false;
    var buttons = document.querySelectorAll("button.engine-choice");
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].addEventListener("click", function (event) {
        choose(event.currentTarget.getAttribute("data-engine"));
      });
    }
    show(stored());
    // The radios now show the stored engine: the early CSS (EARLY_SCRIPT in site/engine_tabs.py) steps aside.
    document.documentElement.removeAttribute("data-engine-early");
  }

  // Another open page of the site changed the choice: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) show(stored());
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
