// A fingerprinted bundle: its name carries a content hash, so it is cached for a year.
(function () {
  "use strict";
  var status = document.getElementById("js-status");
  if (status) {
    status.textContent = "JavaScript ran.";
    status.setAttribute("data-ran", "yes");
  }
  document.documentElement.setAttribute("data-app", "ready");
})();
