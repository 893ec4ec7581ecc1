// Uploads with a progress bar per file: drag and drop or the file picker, one request per file.
// Loaded only on pages with an upload area; without it the same form uploads as a plain multipart POST.
// No inline handlers or styles (the CSP forbids them): state lives in classes and the <progress> value.
(function () {
  "use strict";

  var area = document.querySelector("[data-upload]");
  if (!area || !window.XMLHttpRequest || !window.FormData) { return; }
  var form = area.querySelector("form");
  var input = form.querySelector("input[type=file]");
  var zone = area.querySelector("[data-dropzone]");
  var list = area.querySelector("[data-upload-list]");
  var status = area.querySelector("[data-upload-status]");
  var lang = document.documentElement.lang || undefined;
  var batch = { total: 0, done: 0 };

  function message(name, values) {
    var text = area.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function number(value, options) {
    try { return new Intl.NumberFormat(lang, options).format(value); } catch (error) { return String(Math.round(value)); }
  }

  function duration(seconds) {
    if (seconds < 90) {
      return number(Math.round(seconds), { style: "unit", unit: "second", unitDisplay: "short" });
    }
    if (seconds < 5400) {
      return number(Math.round(seconds / 60), { style: "unit", unit: "minute", unitDisplay: "short" });
    }
    return number(seconds / 3600, { style: "unit", unit: "hour", unitDisplay: "short", maximumFractionDigits: 1 });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var counter = 0;

  function addItem(file) {
    counter += 1;
    var id = "upload-" + counter;
    var item = element("li", "upload-item");
    var name = element("span", "upload-name", file.name);
    name.id = id + "-name";
    var cancel = element("button", "small quiet upload-cancel", message("cancel"));
    cancel.type = "button";
    var hidden = element("span", "visually-hidden", " " + file.name);
    cancel.appendChild(hidden);
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-labelledby", id + "-name");
    var text = element("span", "upload-status", message("waiting"));
    text.id = id + "-status";
    bar.setAttribute("aria-describedby", text.id);
    item.appendChild(name);
    item.appendChild(cancel);
    item.appendChild(bar);
    item.appendChild(text);
    list.hidden = false;
    list.appendChild(item);
    return { item: item, bar: bar, text: text, cancel: cancel };
  }

  // One file at a time: each gets the whole connection, so its speed and time left are honest, and the
  // files after it wait their turn (and can be cancelled before they start).
  var queue = [];
  var active = null;

  function finish(row, state, text) {
    row.item.classList.add("is-" + state);
    row.text.textContent = text;
    row.cancel.remove();
    if (state === "done") { batch.done += 1; }
    if (active === row) { active = null; }
    next();
  }

  function errorFrom(xhr) {
    try {
      var answer = JSON.parse(xhr.responseText);
      if (answer && answer.error) { return answer.error; }
    } catch (error) { /* not JSON: a proxy error page, or the sign-in page after the session ended */ }
    return message("failed");
  }

  function send(row) {
    var data = new FormData();
    var note = form.querySelector("[name=note]");
    if (note && note.value) { data.append("note", note.value); }
    data.append("file", row.file, row.file.name);

    var xhr = new XMLHttpRequest();
    var started = Date.now();
    var shown = 0;
    row.xhr = xhr;
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var now = Date.now();
      var fraction = event.total ? event.loaded / event.total : 1;
      row.bar.value = Math.min(99, Math.floor(fraction * 100));  // 100 only once the server has stored it
      if (now - shown < 250 && fraction < 1) { return; }
      shown = now;
      var rate = event.loaded / Math.max((now - started) / 1000, 0.001);
      row.text.textContent = message("progress", {
        percent: number(fraction, { style: "percent" }),
        speed: number(rate / 1e6, { style: "unit", unit: "megabyte-per-second", maximumFractionDigits: 1 }),
        remaining: duration(rate > 0 ? (event.total - event.loaded) / rate : 0)
      });
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        var answer = JSON.parse(xhr.responseText);
        row.bar.value = 100;
        finish(row, "done", message("done", { version: answer.version }));
      } else {
        finish(row, "failed", errorFrom(xhr));
      }
    });
    xhr.addEventListener("error", function () { finish(row, "failed", message("failed")); });
    xhr.addEventListener("abort", function () { finish(row, "cancelled", message("cancelled")); });
    xhr.send(data);
  }

  function next() {
    if (active) { return; }
    active = queue.shift() || null;
    if (active) {
      send(active);
    } else if (batch.total) {
      allFinished();
    }
  }

  function enqueue(file) {
    var row = addItem(file);
    row.file = file;
    row.cancel.addEventListener("click", function () {
      if (row.xhr) {
        row.xhr.abort();
      } else {
        queue.splice(queue.indexOf(row), 1);
        finish(row, "cancelled", message("cancelled"));
      }
    });
    batch.total += 1;
    queue.push(row);
  }

  function start(files) {
    if (!files || !files.length) { return; }
    status.textContent = "";
    Array.prototype.forEach.call(files, enqueue);
    input.value = "";
    next();
  }

  function allFinished() {
    status.textContent = message("summary", { done: batch.done, total: batch.total });
    var refreshed = batch.done > 0;
    batch = { total: 0, done: 0 };
    if (refreshed) { refresh(); }
  }

  // Puts the new rows in place by fetching this page again and swapping the listing: the progress
  // bars and the announcement stay where they are.
  function refresh() {
    var target = document.getElementById(area.getAttribute("data-refresh"));
    if (!target || !window.fetch || !window.DOMParser) { return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(target.id);
        if (fresh) { target.replaceWith(document.importNode(fresh, true)); }
      })
      .catch(function () { /* the rows appear on the next page load */ });
  }

  area.classList.add("is-enhanced");
  input.addEventListener("change", function () { start(input.files); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    start(input.files);
  });

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      if (!hasFiles(event)) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    });
  });
  zone.addEventListener("dragleave", function (event) {
    if (!zone.contains(event.relatedTarget)) { zone.classList.remove("is-dragover"); }
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("is-dragover");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (input.multiple || !files || files.length <= 1) {
      start(files);
    } else {
      start([files[0]]);  // a new version is one file
    }
  });
  // A file dropped next to the zone would otherwise replace the portal with the file itself.
  window.addEventListener("dragover", function (event) { if (hasFiles(event)) { event.preventDefault(); } });
  window.addEventListener("drop", function (event) { if (hasFiles(event)) { event.preventDefault(); } });
})();
