// Near a text box's limit (maxlength), say how many characters are left, so nothing typed is
// cut off or refused by surprise. Text boxes far from their limit show nothing.
(function () {
  "use strict";
  var NEAR = 0.8; // show the count from 80% of the limit on

  function counterFor(field) {
    var counter = document.createElement("div");
    counter.className = "form-text length-counter";
    counter.id = (field.id || field.name) + "-length";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    return counter;
  }

  function update(field, counter) {
    var limit = parseInt(field.getAttribute("maxlength"), 10);
    var used = field.value.length;
    if (used < limit * NEAR) {
      counter.textContent = "";
      return;
    }
    var left = limit - used;
    counter.textContent = left === 1 ? "1 character left" : left + " characters left";
  }

  document.querySelectorAll("textarea[maxlength]").forEach(function (field) {
    var counter = counterFor(field);
    update(field, counter);
    field.addEventListener("input", function () { update(field, counter); });
  });
})();
