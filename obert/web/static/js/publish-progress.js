// Live progress of an ingest on the publisher's resource page: while the status box says the file is
// being read, ask for the same page every few seconds and swap in its new status box. Without JavaScript
// the page's Refresh header reloads it instead, so the script turns that off by replacing the box alone.
(function () {
  "use strict";
  var box = document.getElementById("ingest-status");
  if (!box || !box.getAttribute("data-refresh") || !window.fetch || !window.DOMParser) {
    return;
  }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("ingest-status");
        if (!fresh) { return; }
        box.replaceWith(fresh);
        box = fresh;
        if (fresh.getAttribute("data-refresh")) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
