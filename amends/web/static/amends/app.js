/* Amends: the small bits of behaviour. Keyboard shortcuts, the "Log a call" dialog, live countdowns, bulk
   selection, the unread count and the board kept current by polling. Everything works without this file; it only makes the pages quicker to use.
   All behaviour lives here: the Content-Security-Policy allows no inline script, handler or eval. */
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var SOON_MS = 30 * MINUTE;      // same horizon as the server's "due soon"
  var LIVE_LIMIT_MS = 12 * 60 * MINUTE; // beyond this the server shows a fixed time ("Tue 10:00")

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / MINUTE);
    if (minutes < 1) return "< 1 min";
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days >= 1) return days + " d" + (hours ? " " + hours + " h" : "");
    if (hours >= 1) return hours + " h" + (mins ? " " + mins + " min" : "");
    return mins + " min";
  }

  /* Keep each countdown's text and colour right between htmx refreshes. */
  function updateCountdowns(root) {
    var now = Date.now();
    (root || document).querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = due - now;
      el.classList.toggle("is-overdue", left <= 0);
      el.classList.toggle("is-soon", left > 0 && left <= SOON_MS);
      if (left <= 0) {
        el.textContent = span(left) + " overdue";
      } else if (left < LIVE_LIMIT_MS) {
        el.textContent = "in " + span(left);
      }
    });
  }

  /* Keep "12 min ago" and "in 2 h" true between refreshes, as the server words them (templatetags/workspace.py,
     Times.relative). Under a day only: beyond it the server counts calendar days in the desk's zone, and the next
     refresh brings those words. */
  function relativeWords(ms) {
    var future = ms > 0;
    var seconds = Math.abs(ms) / 1000;
    if (seconds < 60) return future ? "in < 1 min" : "just now";
    var minutes = Math.floor(seconds / 60);
    if (minutes >= 1440) return null;
    var words = minutes < 60 ? minutes + " min" : Math.floor(minutes / 60) + " h";
    return future ? "in " + words : words + " ago";
  }

  function updateRelativeTimes(root) {
    var now = Date.now();
    (root || document).querySelectorAll("[data-relative]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-relative") || el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var words = relativeWords(at - now);
      if (words && el.textContent !== words) el.textContent = words;
    });
  }

  function updateTimes(root) {
    updateCountdowns(root);
    updateRelativeTimes(root);
  }

  /* ---- Log a call dialog ---- */
  function callDialog() { return document.getElementById("call-dialog"); }

  function openCallDialog() {
    var dialog = callDialog();
    if (!dialog || !window.htmx) { window.location.href = "/calls/new/"; return; }
    if (dialog.open) { focusFirst(dialog); return; }
    dialog.showModal();
    window.htmx.ajax("GET", "/calls/new/", { target: "#call-dialog-body", swap: "innerHTML" }).then(function () {
      focusFirst(dialog);
    });
  }

  function focusFirst(root) {
    var el = root.querySelector("[autofocus]") || root.querySelector("input, select, textarea, button");
    if (el) el.focus();
  }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  /* ---- "/" focuses the search box: the search page's own, else the top bar's, else the one in the folded menu ---- */
  function shown(el) { return !!(el && el.getClientRects().length); }

  function searchFocus() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-search-input]"));
    var box = boxes.filter(function (el) { return el.dataset.searchInput === "page" && shown(el); })[0]
      || boxes.filter(shown)[0];
    if (!box) {
      var inMenu = document.querySelector(".nav [data-search-input]");
      if (!inMenu || !navToggle()) return false;
      setNavOpen(true);
      box = inMenu;
    }
    box.focus();
    box.select();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (event.key === "/" && !document.querySelector("dialog[open]") && searchFocus()) {
      event.preventDefault();
      return;
    }
    if (event.key === "c" && document.getElementById("call-dialog")) {
      var open = document.querySelector("dialog[open]");
      if (open) return;
      event.preventDefault();
      openCallDialog();
    }
  });

  /* ---- The navigation on a phone: a Menu button folds it away (the stylesheet shows it when .nav-open) ---- */
  function navToggle() { return document.querySelector("[data-nav-toggle]"); }

  function setNavOpen(open) {
    var toggle = navToggle();
    if (!toggle) return;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    var topbar = toggle.closest(".topbar");
    if (topbar) topbar.classList.toggle("nav-open", open);
  }

  document.addEventListener("keydown", function (event) {
    var toggle = navToggle();
    if (event.key === " " && toggle && event.target === toggle) {  // a role="button" link answers Space too
      event.preventDefault();
      setNavOpen(toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    if (event.key !== "Escape" || !toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    setNavOpen(false);
    toggle.focus();
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      event.preventDefault();
      setNavOpen(toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    if (!event.target.closest(".nav")) setNavOpen(false);  // a tap outside the open menu folds it
    var opener = event.target.closest("[data-call-open]");
    if (opener && callDialog()) {
      event.preventDefault();
      openCallDialog();
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); dialog.close(); }
      return;
    }
    // Clicking the backdrop closes a dialog.
    if (event.target.tagName === "DIALOG" && event.target.open) {
      var rect = event.target.getBoundingClientRect();
      var inside = event.clientX >= rect.left && event.clientX <= rect.right &&
                   event.clientY >= rect.top && event.clientY <= rect.bottom;
      if (!inside) event.target.close();
    }
    /* Lookup: choosing a caller fills the hidden fields. */
    var option = event.target.closest("[data-lookup-choose]");
    if (option) {
      event.preventDefault();
      chooseCaller(option);
    }
  });

  function chooseCaller(option) {
    var form = option.closest("form");
    if (!form) return;
    var contact = option.getAttribute("data-contact") || "";
    var set = function (name, value) {
      var input = form.querySelector("[name='" + name + "']");
      if (input) input.value = value || "";
    };
    set("contact", contact);
    set("account", option.getAttribute("data-account"));
    var results = form.querySelector(".lookup-results");
    if (results) results.innerHTML = "";
    var newCaller = form.querySelector("[data-new-caller]");
    if (!contact) {
      // An account: the caller is new there; ask for their name.
      if (newCaller) newCaller.hidden = false;
      var name = form.querySelector("[name='caller_name']");
      if (name) name.focus();
      return;
    }
    var chosen = form.querySelector("[data-lookup-chosen]");
    var label = form.querySelector("[data-lookup-label]");
    if (label) label.textContent = option.getAttribute("data-label");
    if (chosen) chosen.hidden = false;
    var search = form.querySelector("[data-lookup-search]");
    if (search) search.hidden = true;
    if (newCaller) newCaller.hidden = true;
    var next = form.querySelector("[name='subject']");
    if (next) next.focus();
  }

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-lookup-clear]");
    if (!clear) return;
    event.preventDefault();
    var form = clear.closest("form");
    var input = form.querySelector("[name='contact']");
    if (input) input.value = "";
    var chosen = form.querySelector("[data-lookup-chosen]");
    if (chosen) chosen.hidden = true;
    var newCaller = form.querySelector("[data-new-caller]");
    if (newCaller) newCaller.hidden = false;
    var search = form.querySelector("[data-lookup-search]");
    if (search) {
      search.hidden = false;
      var q = search.querySelector("input");
      if (q) q.focus();
    }
  });

  /* Enter in the search box picks the first match instead of submitting the form. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches(".lookup input[type='search']")) return;
    event.preventDefault();
    var first = event.target.closest(".lookup").querySelector(".lookup-option");
    if (first) chooseCaller(first);
  });

  /* Arrow down from the search box moves into the results. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var inLookup = event.target.closest && event.target.closest(".lookup");
    if (!inLookup) return;
    var options = Array.prototype.slice.call(inLookup.querySelectorAll(".lookup-option"));
    if (!options.length) return;
    var i = options.indexOf(event.target);
    var next = event.key === "ArrowDown" ? Math.min(i + 1, options.length - 1) : i - 1;
    event.preventDefault();
    if (next < 0) { var q = inLookup.querySelector("input[type='search']"); if (q) q.focus(); return; }
    options[next].focus();
  });

  /* Custom minutes appear only when "custom" is chosen. */
  document.addEventListener("change", function (event) {
    if (event.target.name !== "callback") return;
    var form = event.target.closest("form");
    var custom = form && form.querySelector("[data-callback-custom]");
    if (custom) custom.hidden = event.target.value !== "custom";
  });

  /* Queues: "select all" and the count of requests ticked for a bulk move. */
  function updateBulkSelection(form) {
    var all = form.querySelector("[data-check-all]");
    var boxes = form.querySelectorAll('input[name="ticket"]');
    var label = form.querySelector("[data-selected-count]");
    var n = form.querySelectorAll('input[name="ticket"]:checked').length;
    if (label) label.textContent = n ? n + " selected" : "Tick the requests to move.";
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("#bulk-form");
    if (!form) return;
    if (event.target.matches("[data-check-all]")) {
      form.querySelectorAll('input[name="ticket"]').forEach(function (b) { b.checked = event.target.checked; });
      updateBulkSelection(form);
    } else if (event.target.matches('input[name="ticket"]')) {
      updateBulkSelection(form);
    }
  });

  /* The unread count in the top bar: "3 unread" to a screen reader (as the server renders it), nothing at 0. */
  function showUnread(n) {
    var holder = document.getElementById("unread-count");
    if (!holder) return;
    if (!(n > 0)) { holder.replaceChildren(); return; }
    var badge = document.createElement("span");
    badge.className = "nav-count";
    var words = document.createElement("span");
    words.className = "sr-only";
    words.textContent = " unread";
    badge.replaceChildren(document.createTextNode(String(n)), words);
    holder.replaceChildren(document.createTextNode(" "), badge);
  }

  /* Notifications: after marking read in place, bring the unread count in the top bar up to date. */
  function updateUnreadBadge() {
    var list = document.getElementById("notification-list");
    if (!list) return;
    showUnread(parseInt(list.getAttribute("data-unread") || "0", 10));
  }

  /* ---- Live parts of a page ([data-live-poll]: the unread count, the board), polled by htmx ----
     No request while the tab is hidden, and one at once when it comes back; a poll's answer replaces the part
     only when it says something new, and never while the person is working in it (focus inside, a dialog or a
     disclosure open): the next poll tries again. */
  var lastAnswer = {};  // element id -> the last answer swapped in (at first, an inner swap compares the page's own)

  function busy(region) {
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active)) return true;
    return !!region.querySelector("dialog[open], details[open]");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-live-poll") && document.visibilityState === "hidden") {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute || !target.hasAttribute("data-live-poll") || !event.detail.shouldSwap) return;
    var answer = event.detail.xhr ? event.detail.xhr.responseText : null;
    var previous = lastAnswer[target.id];
    if (previous === undefined && target.getAttribute("hx-swap") !== "outerHTML") previous = target.innerHTML;
    if (answer !== null && previous === answer) { event.detail.shouldSwap = false; return; }
    if (busy(target)) { event.detail.shouldSwap = false; return; }
    lastAnswer[target.id] = answer;
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) window.htmx.trigger(document.body, "amends:visible");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var own = event.target.closest && event.target.closest("#unread-count");
    if (!own) updateUnreadBadge();  // the badge's own poll is newer than the list's count
    updateTimes(event.target);
    var dialog = event.target.closest && event.target.closest("dialog");
    if (dialog && dialog.open) focusFirst(dialog);
  });

  document.addEventListener("DOMContentLoaded", function () { updateTimes(document); });
  setInterval(function () { updateTimes(document); }, 30 * 1000);
})();
