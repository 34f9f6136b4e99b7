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
