// The dataset page's data tabs. Without JavaScript each tab is a link that reloads the page with ?tab=;
// with it they become ARIA tabs (arrow keys, Home, End) that switch panels in place and keep the address.
(function () {
  "use strict";
  document.querySelectorAll("[data-tabs]").forEach(function (box) {
    var list = box.querySelector(".tab-list");
    var tabs = Array.prototype.slice.call(list.querySelectorAll("a[data-panel]"));
    list.setAttribute("role", "tablist");
    Array.prototype.forEach.call(list.children, function (item) { item.setAttribute("role", "presentation"); });

    function panelOf(tab) { return document.getElementById(tab.dataset.panel); }

    function select(tab, focus) {
      tabs.forEach(function (other) {
        var on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.setAttribute("tabindex", on ? "0" : "-1");
        other.removeAttribute("aria-current");
        panelOf(other).classList.toggle("inactive", !on);
      });
      if (focus) { tab.focus(); }
      var url = new URL(window.location.href);
      url.searchParams.set("tab", tab.id.replace(/^tab-/, ""));
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      // A map or chart drawn while its panel was away measures its box again.
      window.dispatchEvent(new Event("resize"));
    }

    tabs.forEach(function (tab, index) {
      var panel = panelOf(tab);
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panel.id);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      tab.addEventListener("click", function (event) { event.preventDefault(); select(tab, false); });
      tab.addEventListener("keydown", function (event) {
        var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        select(tabs[(next + tabs.length) % tabs.length], true);
      });
    });
    var active = tabs.filter(function (tab) { return tab.hasAttribute("aria-current"); })[0] || tabs[0];
    tabs.forEach(function (tab) {
      tab.setAttribute("aria-selected", tab === active ? "true" : "false");
      tab.setAttribute("tabindex", tab === active ? "0" : "-1");
      tab.removeAttribute("aria-current");
    });
  });
}());
