/*
 * The API documentation page: Swagger UI (vendored) reading the OpenAPI schema that
 * drf-spectacular serves (data-schema-url, as JSON). "Try it out" sends the session
 * cookie and the CSRF token, so a signed-in user can call the API from the page.
 */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  var csrf = root.dataset.csrf;
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: false,  // its anchors sit inside each operation's button (axe: nested-interactive)
    validatorUrl: null,  // the public validator would be a request to another site
    requestInterceptor: function (request) {
      if (csrf) request.headers["X-CSRFToken"] = csrf;
      return request;
    }
  });
}());
