// The prescription form's live check: as items change, the form is posted to the same check the
// API's draft runs (nothing is saved) and the findings section is replaced. Without JavaScript the
// "Check safety" button does the same with a full page.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var form = document.getElementById("prescription-form");
    if (!form) { return; }
    var target = document.getElementById("findings");
    var timer = null, sequence = 0;
    function hasItem() {
      return Array.prototype.some.call(form.querySelectorAll("input[name$='-drug_id']"), function (i) { return i.value.trim() !== ""; });
    }
    function check() {
      if (!hasItem()) { return; }
      var mine = ++sequence;
      form.setAttribute("aria-busy", "true");
      fetch(form.dataset.checkUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                     headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (mine !== sequence) { return; }
          var page = new DOMParser().parseFromString(html, "text/html");
          var part = page.getElementById("findings") || page.getElementById("refusal");
          if (part) { target.innerHTML = part.innerHTML; }
        })
        .finally(function () { form.removeAttribute("aria-busy"); });
    }
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
  });
})();
