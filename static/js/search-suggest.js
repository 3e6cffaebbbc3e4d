// Autocomplete for the header's search box: as the shopper types, fill its
// <datalist> with popular queries and product names from /search/suggest/.
// Without JavaScript the box is a plain search form.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[data-suggest-url]");
    var list = document.getElementById("search-suggestions");
    if (!input || !list) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) return;
        last = q;
        fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            list.replaceChildren();
            data.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.label;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
