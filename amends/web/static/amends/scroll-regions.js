/* A table too wide for the screen scrolls sideways inside its own box (app.css). Such a box must be reachable
   and scrollable by keyboard, and say what it holds (WCAG 2.1.1; axe-core's scrollable-region-focusable): this
   makes each box that scrolls now a focusable, named region, and undoes it when the box fits again. It runs on
   load, after htmx swaps content in, and when the window's size changes (a phone turned on its side). */
(function () {
  "use strict";

  var BOXES = ".table-wrap, .table-scroll, .table";
  var MARK = "data-scroll-region";  // set by this script: a region it may undo

  function nameOf(box) {
    var caption = box.querySelector("caption");
    var section = box.closest("section, .card");
    var heading = section && section.querySelector("h2, h3");
    var text = (caption || heading || {}).textContent || "Table";
    return text.replace(/\s+/g, " ").trim() + " (scrolls sideways)";
  }

  function markScrolling(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(BOXES).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      var ours = box.hasAttribute(MARK);
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", nameOf(box));
        box.setAttribute(MARK, "");
      } else if (!scrolls && ours) {
        ["tabindex", "role", "aria-label", MARK].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }

  var pending = null;
  function soon() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () { pending = null; markScrolling(document); });
  }

  document.addEventListener("DOMContentLoaded", soon);
  document.addEventListener("htmx:afterSettle", soon);
  window.addEventListener("resize", soon);
})();
