/* Small keyboard and form helpers; the pages work without this file. */
(function () {
  "use strict";
  // No single-character shortcuts (WCAG 2.1.4): the search box and the menu's search link carry
  // access keys instead (k and s), which browsers only take with a modifier (Alt, Alt+Shift).
  // The /check verdict and refusals take the focus when the page opens, so they are read out.
  var first = document.querySelector("[data-focus-on-load]");
  if (first) first.focus();
  // A wide table scrolls inside its wrapper on a phone; the wrapper then takes the focus so
  // the keyboard can scroll it too (WCAG 2.1.1), named after the table's caption or heading.
  function labelFor(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var el = wrap.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) return el.textContent.trim();
    }
    var h1 = document.querySelector("main h1");
    return h1 ? h1.textContent.trim() : "";
  }
  function scrollables() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", labelFor(wrap));
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
      }
    }
  }
  scrollables();
  window.addEventListener("resize", scrollables);
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
