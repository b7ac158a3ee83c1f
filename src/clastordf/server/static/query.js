// The query page: example links fill the editor and run; results render as a table whose IRIs link
// to this server's pages. Plain DOM (textContent only, never innerHTML), no dependencies, offline.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var text = document.getElementById("query-text");
  var table = document.getElementById("results");
  var status = document.getElementById("query-status");
  if (!form || !text || !table) { return; }
  var endpoint = form.dataset.endpoint;
  var base = form.dataset.base || "";
  var root = form.dataset.root || "";
  var entity = form.dataset.entity;

  // Only http(s) IRIs become links (never javascript: or data:), and an IRI under the base whose rest
  // starts with "/" would be "//host/…", another site's URL: it goes to the entity page instead.
  function localHref(iri) {
    var rest = base && iri.indexOf(base) === 0 ? iri.slice(base.length) : null;
    if (rest !== null && rest.charAt(0) !== "/") { return root + "/" + rest; }
    if (/^https?:\/\//i.test(iri)) { return entity + "?iri=" + encodeURIComponent(iri); }
    return null;
  }

  function cell(binding) {
    var td = document.createElement("td");
    if (!binding) { return td; }
    var href = binding.type === "uri" ? localHref(binding.value) : null;
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = binding.value;
      td.appendChild(a);
    } else {
      td.textContent = binding.value;
    }
    return td;
  }

  function render(json) {
    while (table.firstChild) { table.removeChild(table.firstChild); }
    var thead = table.createTHead();
    var head = thead.insertRow();
    if (typeof json.boolean === "boolean") {
      head.appendChild(document.createElement("th")).textContent = "answer";
      table.createTBody().insertRow().appendChild(cell({ type: "literal", value: String(json.boolean) }));
      return 1;
    }
    var vars = (json.head && json.head.vars) || [];
    vars.forEach(function (v) { head.appendChild(document.createElement("th")).textContent = v; });
    var body = table.createTBody();
    var rows = (json.results && json.results.bindings) || [];
    rows.forEach(function (b) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.appendChild(cell(b[v])); });
    });
    return rows.length;
  }

  function run() {
    status.textContent = "running…";
    var url = endpoint + "?query=" + encodeURIComponent(text.value);
    fetch(url, { headers: { Accept: "application/sparql-results+json" } })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (t) { throw new Error(response.status + " " + t.slice(0, 500)); });
        }
        return response.json();
      })
      .then(function (json) { status.textContent = render(json) + " rows"; })
      .catch(function (err) { status.textContent = "error: " + err.message; });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  Array.prototype.forEach.call(document.querySelectorAll("a.example"), function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      text.value = a.dataset.query;
      run();
    });
  });
}());
