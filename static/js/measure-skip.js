// Follow-up questions (a fieldset with data-shown-if="q2") are asked only after a Yes to the
// question they follow. Hidden ones are disabled, so their answers are not sent. Without this
// script every question shows, and the server keeps only the answers its skip logic asked for.
(function () {
  "use strict";
  var YES = "1";

  document.querySelectorAll("fieldset[data-shown-if]").forEach(function (fieldset) {
    var form = fieldset.closest("form");
    var name = fieldset.getAttribute("data-shown-if");
    var choices = form.querySelectorAll('input[name="' + name + '"]');
    var note = fieldset.querySelector(".skip-note");
    if (note) {
      note.hidden = true; // the page now asks it only when it applies
    }

    function update() {
      var chosen = form.querySelector('input[name="' + name + '"]:checked');
      var shown = chosen !== null && chosen.value === YES;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    }

    choices.forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  });
})();
