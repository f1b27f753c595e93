// Progressive enhancement of a data-entry page; the page works without it.
// 1. Live preview: on each change the form's values go to the server's engine (POST .../preview), which
//    answers with the hidden fields, the calculated values and the issues; nothing is evaluated here.
// 2. The reason-for-change box of a complete form appears once something is changed.
// 3. Study-day helper: a calendar date typed next to a study-day field becomes a study day, counted from
//    the infusion date kept in this tab's sessionStorage. The date inputs have no name: never submitted.
// 4. Unsaved changes: leaving the page, or a workflow button (Mark complete, Lock...) that posts only
//    the status, would drop what was typed; the page asks first. Saving the form clears the flag.
// 5. Drafts: what is typed is kept in this tab's sessionStorage until a save goes through, so that a
//    save lost to an ended session (sign in again, come back) can be restored. Nothing is sent.
(function () {
  "use strict";
  const form = document.getElementById("crf");
  if (!form) return;
  const live = document.getElementById("live");
  const submitted = form.dataset.submitted === "1";
  let timer = null;
  let sequence = 0;
  let announced = new Set();

  function announce(text) {
    if (!live || !text) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function controls(box) {
    return box.querySelectorAll("input[name], select[name], textarea[name]");
  }

  function hasValue(box) {
    return Array.from(controls(box)).some(function (c) {
      return (c.type === "radio" || c.type === "checkbox") ? c.checked : c.value !== "";
    });
  }

  function labelOf(name) {
    const box = form.querySelector('[data-field="' + name + '"]');
    const label = box && box.querySelector("legend, label");
    return label ? label.textContent.replace(/\s+/g, " ").trim() : name;
  }

  function showIssues(issues) {
    const byField = {};
    issues.forEach(function (issue) {
      if (issue.code === "required" && !submitted) return;
      (byField[issue.field] = byField[issue.field] || []).push(issue);
    });
    const fresh = [];
    form.querySelectorAll("[data-issues]").forEach(function (box) {
      const name = box.dataset.issues;
      const list = byField[name] || [];
      box.replaceChildren();
      list.forEach(function (issue) {
        const p = document.createElement("p");
        p.className = "issue issue-" + issue.severity;
        const icon = document.createElement("span");
        icon.className = "issue-icon";
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = issue.severity === "error" ? "✖ " : "⚠ ";
        p.append(icon, issue.message);
        box.append(p);
        const key = name + "|" + issue.message;
        if (!announced.has(key)) fresh.push(labelOf(name) + ": " + issue.message);
      });
      const field = box.closest(".field");
      const invalid = list.some(function (issue) { return issue.severity === "error"; });
      if (field) field.classList.toggle("has-error", invalid);
      if (field) controls(field).forEach(function (c) {
        if (invalid) c.setAttribute("aria-invalid", "true"); else c.removeAttribute("aria-invalid");
      });
    });
    announced = new Set(issues.map(function (i) { return i.field + "|" + i.message; }));
    return fresh;
  }

  function apply(result) {
    const hidden = new Set(result.hidden);
    let revealed = false;
    form.querySelectorAll("[data-field]").forEach(function (box) {
      const hide = hidden.has(box.dataset.field);
      revealed = revealed || (box.hidden && !hide && hasValue(box));
      box.hidden = hide;
      // A hidden field's value stays in the page (in case it comes back) but is not sent.
      controls(box).forEach(function (c) { c.disabled = hide; });
    });
    // Values that come back with their field count again: ask the engine once more.
    if (revealed) schedule();
    const changed = [];
    Object.keys(result.computed).forEach(function (name) {
      const out = document.getElementById("f-" + name);
      const text = result.computed[name] || "—";
      if (out && out.textContent !== text) {
        out.textContent = text;
        changed.push(labelOf(name) + ": " + text);
      }
    });
    form.querySelectorAll("output.calc").forEach(function (out) {
      const name = out.id.slice(2);
      if (!(name in result.computed) && out.textContent !== "—") out.textContent = "—";
    });
    const fresh = showIssues(result.issues);
    announce(fresh.concat(changed).join(". "));
  }

  function preview() {
    const mine = ++sequence;
    const body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) { if (result && mine === sequence) apply(result); })
      .catch(function () { /* the server still checks everything on save */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 250);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // After a refused save, start from the list of problems (it links to each field).
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  announced = new Set(Array.from(form.querySelectorAll("[data-issues] .issue")).map(function (p) {
    return p.closest("[data-issues]").dataset.issues + "|" + p.textContent.replace(/^[✖⚠]\s*/, "").trim();
  }));

  // 4. Unsaved changes (a refused save shows values that are not stored yet).
  let dirty = submitted;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  document.querySelectorAll("form[data-workflow]").forEach(function (workflow) {
    workflow.addEventListener("submit", function (event) {
      if (dirty && !window.confirm(form.dataset.unsaved)) {
        event.preventDefault();
        return;
      }
      dirty = false;
      window.sessionStorage.removeItem("edc:draft:" + form.dataset.user + ":" + window.location.pathname);
    });
  });

  // 5. Drafts.
  // Per user: on a shared computer, what one person typed is never offered to the next.
  const draftKey = "edc:draft:" + form.dataset.user + ":" + window.location.pathname;
  const pendingKey = "edc:draft:" + form.dataset.user + ":pending";
  const store = window.sessionStorage;
  const flash = document.querySelector(".flash");
  // A save waits as "pending" (its draft and the page it was posted from) until that page, or the
  // entry a new one became, comes back with a message: then it went through and the draft goes.
  const pending = JSON.parse(store.getItem(pendingKey) || "null");
  const here = window.location.pathname;
  if (pending && flash && !submitted && (here === pending.from || (pending.from.endsWith("/new") &&
      here.startsWith(pending.from.slice(0, -3))))) {
    store.removeItem(pending.key);
    store.removeItem(pendingKey);
  }

  function fieldsOf() {
    return Array.from(new FormData(form).entries()).filter(function (entry) {
      return entry[0].charAt(0) !== "_" && typeof entry[1] === "string";
    });
  }

  function sameAsShown(fields) {
    return JSON.stringify(fields) === JSON.stringify(fieldsOf());
  }

  function restore(draft) {
    const fields = draft.fields;
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (control) {
      if (control.name.charAt(0) === "_") return;
      const values = fields.filter(function (f) { return f[0] === control.name; }).map(function (f) { return f[1]; });
      if (control.type === "checkbox" || control.type === "radio") control.checked = values.indexOf(control.value) >= 0;
      else if (control.type !== "hidden") control.value = values.length ? values[0] : "";
    });
    // The version the draft was typed on: if someone saved since, the server shows both, never overwrites.
    const version = form.querySelector('input[name="_version"]');
    if (version && draft.version !== undefined) version.value = draft.version;
    dirty = true;
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const saved = submitted ? null : JSON.parse(store.getItem(draftKey) || "null");
  if (saved && !sameAsShown(saved.fields)) {
    const box = document.createElement("div");
    box.className = "flash flash-warn draft";
    box.setAttribute("role", "status");
    const note = document.createElement("span");
    note.textContent = form.dataset.draftFound.replace("{time}", saved.at);
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "button";
    keep.textContent = form.dataset.draftRestore;
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "button button-quiet";
    drop.textContent = form.dataset.draftDiscard;
    keep.addEventListener("click", function () { restore(saved); box.remove(); });
    drop.addEventListener("click", function () { store.removeItem(draftKey); box.remove(); });
    box.append(note, " ", keep, " ", drop);
    form.parentNode.insertBefore(box, form);
  } else if (saved) {
    store.removeItem(draftKey);
  }
  function keepDraft() {
    const now = new Date();
    const at = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
    const version = form.querySelector('input[name="_version"]');
    store.setItem(draftKey, JSON.stringify({ at: at, fields: fieldsOf(), version: version ? version.value : undefined }));
  }
  form.addEventListener("input", keepDraft);
  form.addEventListener("change", keepDraft);
  form.addEventListener("submit", function () { store.setItem(pendingKey, JSON.stringify({ key: draftKey, from: here })); });

  // 2. Reason for change.
  const reasonBox = document.getElementById("reason-box");
  if (reasonBox && reasonBox.dataset.open !== "1") {
    reasonBox.hidden = true;
    form.addEventListener("input", function reveal(event) {
      if (event.target.id === "f-_reason") return;
      reasonBox.hidden = false;
      form.removeEventListener("input", reveal);
      const help = document.getElementById("reason-help");
      announce(help ? help.textContent : "");
    });
  }

  // 3. Study-day helper.
  const helper = document.getElementById("studyday-helper");
  const infusion = document.getElementById("infusion-date");
  if (!helper || !infusion) return;
  const key = "edc:infusion:" + form.dataset.user + ":" + infusion.dataset.record;
  helper.hidden = false;
  infusion.value = window.sessionStorage.getItem(key) || "";
  infusion.addEventListener("change", function () {
    if (infusion.value) window.sessionStorage.setItem(key, infusion.value);
    else window.sessionStorage.removeItem(key);
  });

  function utcDay(text) {
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    return parts ? Date.UTC(+parts[1], +parts[2] - 1, +parts[3]) / 86400000 : null;
  }

  form.querySelectorAll("input[data-studyday-for]").forEach(function (calendar) {
    calendar.closest(".studyday-helper").hidden = false;
    const note = document.getElementById("calnote-" + calendar.id.slice(4));
    calendar.addEventListener("change", function () {
      const start = utcDay(infusion.value);
      const day = utcDay(calendar.value);
      if (day === null) { note.textContent = ""; return; }
      if (start === null) { note.textContent = form.dataset.needInfusion; infusion.focus(); return; }
      const target = document.getElementById(calendar.dataset.studydayFor);
      target.value = String(day - start);
      note.textContent = form.dataset.dayText.replace("{n}", target.value);
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
