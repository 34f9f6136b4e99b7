/* Live arrivals: listen for new copies (Server-Sent Events, or polling where the stream is
   unavailable), re-read the server-rendered list, highlight what is new, count it in the tab
   title until the receptionist looks. The page works without this file (reload to refresh). */
(function () {
  "use strict";
  var list = document.getElementById("arrivals");
  if (!list || !list.hasAttribute("data-live") || !window.fetch) return;
  var status = document.getElementById("arrivals-live");
  var latest = Number(list.getAttribute("data-latest")) || 0;
  var baseTitle = document.title;
  var unseen = 0;
  var busy = false, again = false;

  function showCount() {
    document.title = unseen > 0 ? "(" + unseen + ") " + baseTitle : baseTitle;
  }
  function seen() {
    if (document.visibilityState === "visible" && unseen > 0) { unseen = 0; showCount(); }
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(list.getAttribute("data-fragment"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var box = document.createElement("div");
        box.innerHTML = html; // our own escaped, server-rendered fragment
        var fresh = box.querySelector("#arrivals");
        if (!fresh) return;
        var fresh_new = 0;
        fresh.querySelectorAll("[data-doc]").forEach(function (el) {
          if (Number(el.getAttribute("data-doc")) > latest) { el.classList.add("new"); fresh_new++; }
        });
        list.querySelectorAll("li.arrival.new").forEach(function (old) {
          var twin = fresh.querySelector('[data-doc="' + old.getAttribute("data-doc") + '"]');
          if (twin) twin.classList.add("new");
        });
        list.replaceWith(fresh);
        list = fresh;
        latest = Math.max(latest, Number(fresh.getAttribute("data-latest")) || 0);
        if (fresh_new > 0) {
          unseen += fresh_new;
          showCount();
          if (status) status.textContent = status.getAttribute("data-new-one") + ": " + unseen;
          if (document.visibilityState === "visible") setTimeout(seen, 4000);
        }
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  function onLatest(value) { if (Number(value) > latest) refresh(); }

  var polling = null;
  function poll() {
    if (polling) return;
    polling = setInterval(function () {
      fetch("/arrivals/latest", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) onLatest(data.latest_id); })
        .catch(function () {});
    }, 5000);
  }
  if (window.EventSource) {
    var source = new EventSource("/arrivals/events?after=" + latest);
    source.addEventListener("arrival", function (event) { onLatest(event.data); });
    source.onerror = function () {
      // A closed stream (not a reconnect in progress) means the server refused it: poll.
      if (source.readyState === EventSource.CLOSED) poll();
    };
  } else {
    poll();
  }
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
})();
