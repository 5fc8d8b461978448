// Disclosures that the HTML leaves open (so they work without JavaScript) are closed on narrow screens,
// where they would push the page's main content down; a reader opens them with their summary.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 48rem)").matches) { return; }
  document.querySelectorAll("details[data-close-narrow]").forEach(function (box) {
    box.open = false;
  });
}());
