// Address forms: choosing another country shows that country's fields and labels at once (the server renders
// them; without this script the "Show the fields for this country" button does the same).
(function () {
  "use strict";
  var form = document.querySelector("[data-address-form]");
  if (!form) { return; }
  var refresh = form.querySelector("[data-address-refresh]");
  var country = form.querySelector("[data-address-country]");
  if (!refresh || !country) { return; }
  refresh.parentNode.classList.add("js-hidden");
  country.addEventListener("change", function () {
    if (form.requestSubmit) { form.requestSubmit(refresh); } else { refresh.click(); }
  });
})();
