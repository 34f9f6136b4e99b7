/* Small keyboard and form helpers; the pages work without this file. */
(function () {
  "use strict";
  // "/" focuses the search box (or goes to the search page), as in many web apps.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var box = document.getElementById("q");
    event.preventDefault();
    if (box) { box.focus(); box.select(); }
    else if (document.querySelector('a[href="/search"]')) { window.location.href = "/search"; }
  });
  // Forms that destroy something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // The phone menu (details.menu in base.html) is open in the markup so it works without this
  // file; here it folds on narrow screens and stays open on wide ones (its summary is hidden).
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 50rem)");
    var fit = function () { menu.open = !narrow.matches; };
    fit();
    if (narrow.addEventListener) narrow.addEventListener("change", fit);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && narrow.matches && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-print")) { window.print(); }
    if (el && el.hasAttribute && el.hasAttribute("data-back") && window.history.length > 1
        && document.referrer.indexOf(window.location.origin) === 0) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
