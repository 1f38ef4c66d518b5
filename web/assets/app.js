// KDC Sync web app: live updates and conveniences. Every page works without this file.
// - Live pages (<body data-live="replace|notify" data-events="URL">) listen to server-sent
//   events; on a change, "replace" re-reads the page and swaps <main> (unless a form on it has
//   been edited), "notify" shows a note with a reload link.
// - Count steppers (−/+), business-only questions shown only for business households, copy.
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.classList.add("js");

  // Until this time, change events are this page's own save coming back: not news.
  var quietUntil = 0;

  function dirty(root) {
    if (root.querySelector("[data-error-for]")) return true; // a refusal on screen stays
    var els = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < els.length; i++) {
      var e = els[i];
      if (e.type === "hidden" || e.type === "submit") continue;
      if (e.type === "checkbox" || e.type === "radio") { if (e.checked !== e.defaultChecked) return true; }
      else if (e.tagName === "SELECT") { for (var j = 0; j < e.options.length; j++) if (e.options[j].selected !== e.options[j].defaultSelected) return true; }
      else if (e.value !== e.defaultValue) return true;
    }
    return false;
  }

  function enhance(root) {
    root.querySelectorAll("button[data-step]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var input = b.parentNode.querySelector("input");
        var v = parseInt(input.value, 10);
        var step = parseInt(b.getAttribute("data-step"), 10);
        var min = input.min === "" ? 0 : parseInt(input.min, 10);
        var max = input.max === "" ? Infinity : parseInt(input.max, 10);
        v = isNaN(v) ? (step > 0 ? Math.max(min, 0) : min) : v + step;
        input.value = String(Math.min(max, Math.max(min, v)));
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    root.querySelectorAll("button[data-copy]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var t = doc.getElementById(b.getAttribute("data-copy"));
        t.select();
        var done = function () { b.textContent = "✓"; };
        if (navigator.clipboard) navigator.clipboard.writeText(t.value).then(done, function () { doc.execCommand("copy"); done(); });
        else { doc.execCommand("copy"); done(); }
      });
    });
    var form = root.querySelector("form.hh-form");
    if (form) {
      var toggle = function () {
        var field = form.getAttribute("data-business-field");
        if (!field) return;
        var yes = form.querySelector('input[name="' + field + '"][value="yes"]');
        var on = !yes || yes.checked;
        form.querySelectorAll("fieldset[data-business-only]").forEach(function (f) {
          f.hidden = !on; f.disabled = !on;
        });
      };
      var bf = form.getAttribute("data-business-field");
      if (bf) form.querySelectorAll('input[name="' + bf + '"]').forEach(function (r) { r.addEventListener("change", toggle); });
      toggle();
    }
  }

  // Forms marked data-inplace post with fetch and swap <main> with the answer (the server
  // redirects after a durable write, so the answer is the page as it now is). Without this
  // script the same form posts and redirects as usual.
  function inplace(root) {
    root.querySelectorAll("form[data-inplace]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.fetch || !window.FormData || !window.URLSearchParams) return;
        ev.preventDefault();
        var data = new FormData(form);
        var by = ev.submitter;
        if (by && by.name) data.append(by.name, by.value);
        var body = new URLSearchParams();
        data.forEach(function (v, k) { body.append(k, v); });
        if (by) by.disabled = true;
        quietUntil = Date.now() + 2000;
        fetch(form.getAttribute("action") || location.pathname, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" })
          .then(function (r) { return r.text().then(function (html) { return { r: r, html: html }; }); })
          .then(function (x) {
            quietUntil = Date.now() + 1000;
            var next = new DOMParser().parseFromString(x.html, "text/html");
            // Only the page after a save (or the form with its refusal) replaces the form; any
            // other answer (a stale session, a full disk) is shown above it, and what was typed
            // stays.
            if (!x.r.ok && x.r.status !== 422) {
              var why = next.querySelector(".refusal p");
              var note = doc.getElementById("submit-problem");
              if (!note) {
                note = doc.createElement("p");
                note.id = "submit-problem"; note.className = "error"; note.setAttribute("role", "alert");
                form.parentNode.insertBefore(note, form);
              }
              note.textContent = "⚠ " + (why ? why.textContent : ("HTTP " + x.r.status));
              if (by) by.disabled = false;
              note.scrollIntoView();
              return;
            }
            var fresh = next.getElementById("main");
            if (!fresh) { location.href = x.r.url; return; }
            doc.getElementById("main").replaceWith(fresh);
            if (x.r.redirected) history.replaceState(null, "", x.r.url);
            enhance(fresh);
            inplace(fresh);
            var focus = fresh.querySelector("[data-error-for]") || fresh.querySelector("[data-saved-at]");
            if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus({ preventScroll: false }); }
          })
          .catch(function () { if (by) by.disabled = false; form.submit(); });
      });
    });
  }

  function live() {
    var body = doc.body;
    var mode = body.getAttribute("data-live");
    var url = body.getAttribute("data-events");
    if (!mode || !url || !window.EventSource) return;
    var timer = null, busy = false, again = false;
    function refresh() {
      if (Date.now() < quietUntil) return;
      var main = doc.getElementById("main");
      if (mode !== "replace" || dirty(main)) {
        var note = doc.querySelector("[data-live-note]");
        if (note) note.hidden = false;
        return;
      }
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, "text/html");
          var fresh = next.getElementById("main");
          var cur = doc.getElementById("main");
          if (fresh && cur && !dirty(cur)) {
            var nav = next.querySelector("nav.tabs"), curNav = doc.querySelector("nav.tabs");
            if (nav && curNav) curNav.replaceWith(nav);
            // Keep what the reader opened and where the keyboard was.
            var open = [];
            cur.querySelectorAll("details[open][data-keep]").forEach(function (d) { open.push(d.getAttribute("data-keep")); });
            var focused = doc.activeElement && doc.activeElement.id;
            cur.replaceWith(fresh);
            fresh.querySelectorAll("details[data-keep]").forEach(function (d) {
              if (open.indexOf(d.getAttribute("data-keep")) >= 0) d.open = true;
            });
            if (focused && doc.getElementById(focused)) doc.getElementById(focused).focus({ preventScroll: true });
            enhance(fresh);
            inplace(fresh);
            body.setAttribute("data-refreshed", String(Date.now()));
          }
        })
        .catch(function () {})
        .then(function () { busy = false; if (again) { again = false; refresh(); } });
    }
    var es = new EventSource(url);
    var schedule = function () { clearTimeout(timer); timer = setTimeout(refresh, 60); };
    es.addEventListener("change", schedule);
    // Peer events matter only where peers are shown (home, team).
    if (body.hasAttribute("data-live-peers")) es.addEventListener("peer", schedule);
  }

  function start() { enhance(doc); inplace(doc); live(); }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start); else start();
})();
