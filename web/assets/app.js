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
        var step = parseInt(b.getAttribute("data-step"), 10);
        var min = parseInt(input.getAttribute("data-min") || "0", 10);
        var max = input.hasAttribute("data-max") ? parseInt(input.getAttribute("data-max"), 10) : Infinity;
        // A part never passes the count it is part of (smartphone users <= residents 14+).
        var parentId = input.getAttribute("data-part-of");
        var parent = parentId && input.form && input.form.querySelector('input[name="' + parentId + '"]');
        if (parent && /^\s*\d+\s*$/.test(parent.value)) max = Math.min(max, parseInt(parent.value, 10));
        var text = input.value.trim();
        var v = /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
        // Empty: "+" gives 1 (or the minimum when it is larger), "−" the minimum.
        if (isNaN(v)) v = step > 0 ? Math.max(min, 1) : min; else v += step;
        input.value = String(Math.max(min, Math.min(max, v)));
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
    // The ward report's print button: with no issuing body, it asks for one first.
    root.querySelectorAll("button[data-action=print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var missing = doc.querySelector("[data-letterhead-missing]");
        var issuer = doc.getElementById("ws-issuer");
        if (missing && issuer) {
          var d = issuer.closest("details"); if (d) d.open = true;
          issuer.focus();
          missing.scrollIntoView();
          return;
        }
        window.print();
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

  // ---- Nothing typed is lost ------------------------------------------------------------
  // The household forms keep what was typed in localStorage until kdcd confirms the write;
  // a reload restores it. While kdcd cannot be reached, [data-offline] says so and a pending
  // save is sent again as soon as kdcd answers.
  var DRAFT = "kdc-draft:";
  function draftKey(form) { return DRAFT + (form.getAttribute("action") || location.pathname); }
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function saveDraft(form) {
    var ls = store(); if (!ls) return;
    if (!dirty(form)) { ls.removeItem(draftKey(form)); return; }
    var values = [];
    form.querySelectorAll("input, textarea, select").forEach(function (e) {
      if (!e.name || e.type === "hidden" || e.type === "submit" || e.name === "confirm") return;
      if (e.type === "radio" || e.type === "checkbox") { if (e.checked) values.push([e.name, e.value, 1]); }
      else values.push([e.name, e.value, 0]);
    });
    ls.setItem(draftKey(form), JSON.stringify({ at: Date.now(), values: values }));
  }
  function clearDraft(action) { var ls = store(); if (ls) ls.removeItem(DRAFT + action); }
  function restoreDraft(form) {
    var ls = store(); if (!ls) return;
    var raw = ls.getItem(draftKey(form)); if (!raw) return;
    var d; try { d = JSON.parse(raw); } catch (e) { ls.removeItem(draftKey(form)); return; }
    // A draft from another day is not brought back over what the team recorded since.
    if (!(Date.now() - d.at < 24 * 3600 * 1000)) { ls.removeItem(draftKey(form)); return; }
    var changed = 0;
    (d.values || []).forEach(function (v) {
      var els = form.querySelectorAll('[name="' + v[0].replace(/"/g, "") + '"]');
      els.forEach(function (e) {
        if (v[2]) { if (e.value === v[1] && !e.checked) { e.checked = true; changed++; } }
        else if (e.type !== "hidden" && e.value !== v[1]) { e.value = v[1]; changed++; }
      });
    });
    if (!changed) { ls.removeItem(draftKey(form)); return; }
    form.dispatchEvent(new Event("change", { bubbles: true }));
    var note = doc.createElement("p");
    note.className = "warn"; note.setAttribute("role", "status"); note.setAttribute("data-draft-restored", "");
    note.textContent = doc.documentElement.lang === "en"
      ? "ℹ Answers typed earlier and not yet saved are back in the form. Check them and press Save."
      : "ℹ Đã khôi phục câu trả lời đã nhập nhưng chưa lưu. Kiểm tra lại rồi bấm Lưu.";
    form.parentNode.insertBefore(note, form);
  }
  function drafts(root) {
    root.querySelectorAll("form[data-draft]").forEach(function (form) {
      restoreDraft(form);
      var keep = function () { saveDraft(form); };
      form.addEventListener("input", keep);
      form.addEventListener("change", keep);
    });
  }

  var offline = false;
  function setOffline(on) {
    offline = on;
    doc.querySelectorAll("[data-offline]").forEach(function (e) { e.hidden = !on; });
    if (on) doc.body.setAttribute("data-kdcd", "down"); else doc.body.removeAttribute("data-kdcd");
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
        var action = form.getAttribute("action") || location.pathname;
        if (form.hasAttribute("data-draft")) saveDraft(form);
        var send = function () {
          quietUntil = Date.now() + 2000;
          return fetch(action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" })
            .then(function (r) { return r.text().then(function (html) { return { r: r, html: html }; }); });
        };
        // kdcd cannot be reached: say so, keep the answers, and send them when it answers.
        var retry = function () {
          setOffline(true);
          if (by) { by.disabled = true; by.setAttribute("data-pending", ""); }
          setTimeout(function () { send().then(function (x) { setOffline(false); done(x); }, retry); }, 1500);
        };
        var done = function (x) {
            if (by) by.removeAttribute("data-pending");
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
            // Stored for good (not a refusal): the draft has done its work.
            if (x.r.status !== 422) clearDraft(action);
            if (!fresh) { location.href = x.r.url; return; }
            doc.getElementById("main").replaceWith(fresh);
            if (x.r.redirected) history.replaceState(null, "", x.r.url);
            enhance(fresh);
            inplace(fresh);
            drafts(fresh);
            // Refused: what was typed is on the page again, and kept until it is stored.
            if (x.r.status === 422) fresh.querySelectorAll("form[data-draft]").forEach(saveDraft);
            var focus = fresh.querySelector("[data-error-for]") || fresh.querySelector("[data-saved-at]");
            if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus({ preventScroll: false }); }
        };
        send().then(done, retry);
      });
    });
  }

  function live() {
    var body = doc.body;
    var mode = body.getAttribute("data-live");
    var url = body.getAttribute("data-events");
    if (!mode || !url || !window.EventSource) return;
    var timer = null, busy = false, again = false;
    // Parts of a page that follow the data even while a form on it is being filled in (the
    // household form's conflicts: a choice a teammate already made must not be offered).
    function refreshParts() {
      if (!doc.querySelector("[data-live-part]")) return;
      fetch(location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, "text/html");
          doc.querySelectorAll("[data-live-part]").forEach(function (cur) {
            var fresh = next.querySelector('[data-live-part="' + cur.getAttribute("data-live-part") + '"]');
            if (fresh) { cur.replaceWith(fresh); enhance(fresh); inplace(fresh); }
          });
          var nav = next.querySelector("nav.tabs"), curNav = doc.querySelector("nav.tabs");
          if (nav && curNav) curNav.replaceWith(nav);
        })
        .catch(function () {});
    }
    function refresh() {
      if (Date.now() < quietUntil) return;
      var main = doc.getElementById("main");
      if (mode !== "replace" || dirty(main)) {
        var note = doc.querySelector("[data-live-note]");
        if (note) note.hidden = false;
        refreshParts();
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
    // The live stream is down while kdcd is: the banner says so until it is back.
    var downTimer = null;
    es.addEventListener("error", function () {
      clearTimeout(downTimer);
      downTimer = setTimeout(function () { if (es.readyState !== 1) setOffline(true); }, 800);
    });
    es.addEventListener("open", function () {
      clearTimeout(downTimer);
      if (offline) { setOffline(false); if (mode === "replace") refresh(); }
    });
    var schedule = function () { clearTimeout(timer); timer = setTimeout(refresh, 60); };
    es.addEventListener("change", schedule);
    // Peer events matter only where peers are shown (home, team).
    if (body.hasAttribute("data-live-peers")) es.addEventListener("peer", schedule);
  }

  function start() { enhance(doc); inplace(doc); drafts(doc); live(); }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start); else start();
})();
