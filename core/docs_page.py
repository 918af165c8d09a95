"""The API docs page's Swagger UI assets, served from the installed flask-swagger-ui package.

flask-smorest renders /api/docs from core/templates/swagger_ui.html (ours overrides its own,
which loads Swagger UI from a CDN and starts it with an inline script): the page works offline
and behind any firewall, and its CSP (core/headers.py) allows scripts from this server only.
"""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, send_from_directory

from core.identity.access import public

ASSETS_URL = "/api/docs/assets/"
_SWAGGER_UI = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
_OURS = Path(__file__).resolve().parent / "docs_assets"

blp = Blueprint("docs_assets", __name__)


@blp.route(ASSETS_URL + "<path:filename>", methods=["GET"])
@public
def asset(filename):
    folder = _OURS if (_OURS / filename).is_file() else _SWAGGER_UI
    return send_from_directory(folder, filename)
