// Starts Swagger UI on the docs page; a file rather than an inline script, so the page's CSP
// can forbid inline scripts (core/headers.py).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({url: container.dataset.specUrl, dom_id: "#swagger-ui-container"});
});
