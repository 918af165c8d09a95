"""Headers every response carries, whatever answered it (a view, an error handler, the docs).

- `Cache-Control: no-store`: answers hold patient data and bearer tokens; no cache keeps them.
- `X-Content-Type-Options: nosniff`: a browser takes the declared type, never guesses one.
- `Referrer-Policy: no-referrer`: addresses (with their ids) never leak to another site.
- `Content-Security-Policy`: an API answer may load and run nothing; the docs page runs only
  the scripts served from here (no CDN, no inline script).
- `Strict-Transport-Security` in production (behind TLS), never in development on plain HTTP.
"""

from flask import request

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI renders with React: its scripts and styles are ours (core/docs_page.py); styles may be
# inline (React's highlighter sets style attributes), scripts may not.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(*, docs: bool, production: bool) -> dict[str, str]:
    headers = {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": DOCS_CSP if docs else API_CSP,
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_app(app) -> None:
    production = app.config["RXLOOP_ENV"] == "production"

    @app.after_request
    def _secure(response):
        docs = request.path == "/api/docs" or request.path.startswith("/api/docs/")
        for name, value in security_headers(docs=docs, production=production).items():
            if name == "Content-Security-Policy" and name in response.headers:
                continue  # a page that declares its own policy (the workbench's forms post to 'self') keeps it
            response.headers[name] = value
        return response
