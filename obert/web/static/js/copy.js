// Adds a "Copy" button to each code example. The examples stay readable and selectable without it.
(function () {
  "use strict";
  var lang = document.documentElement.lang;
  var words = {
    ca: ["Copia", "Copiat"],
    es: ["Copiar", "Copiado"],
    en: ["Copy", "Copied"]
  }[lang] || ["Copy", "Copied"];
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("[data-snippets] pre").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = words[0];
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent).then(function () {
        button.textContent = words[1];
        status.textContent = words[1];
        setTimeout(function () { button.textContent = words[0]; status.textContent = ""; }, 2000);
      });
    });
    pre.parentNode.insertBefore(button, pre);
    pre.parentNode.insertBefore(status, pre);
  });
})();
