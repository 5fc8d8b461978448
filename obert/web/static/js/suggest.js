// Suggestions in every search box: while someone types, the box's native <datalist> is filled from
// /api/v1/search/suggest (keywords and dataset titles). Browsers and screen readers present a datalist
// as the box's list of suggestions themselves. Without JavaScript the boxes are plain search boxes.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "ca";
  var boxes = document.querySelectorAll("form[role=search] input[name=q]");
  boxes.forEach(function (input, position) {
    var list = document.createElement("datalist");
    list.id = (input.id || "q") + "-suggestions-" + position;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = null;
    var pending = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value;
        if (text.trim().length < 2 || text === asked) { return; }
        asked = text;
        if (pending) { pending.abort(); }
        pending = new AbortController();
        var address = "/api/v1/search/suggest?limit=8&lang=" + encodeURIComponent(lang) +
          "&q=" + encodeURIComponent(text);
        fetch(address, { signal: pending.signal, headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { data: [] }; })
          .then(function (body) {
            if (input.value !== text) { return; }
            list.textContent = "";
            var seen = {};
            body.data.forEach(function (suggestion) {
              if (seen[suggestion.text]) { return; }
              seen[suggestion.text] = true;
              var option = document.createElement("option");
              option.value = suggestion.text;
              list.appendChild(option);
            });
          })
          .catch(function () { /* a suggestion is a nicety: typing and searching still work */ });
      }, 150);
    });
  });
})();
