"""A page for people at every problem type's URI: RFC 9457's `type` resolves to what it means."""

import re

from flask import Blueprint, render_template_string
from markupsafe import Markup, escape

from core.errors import NotFound
from core.identity.access import public
from core.problems import Problem
from core.i18n import _

# A plain Flask blueprint, not flask-smorest's: these are pages, not the JSON API, and stay
# out of the OpenAPI document.
blp = Blueprint("problems", __name__)

_INDEX = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Problem types · rxloop</title></head>
<body>
<h1>Problem types</h1>
<p>Every error rxloop answers with is an <code>application/problem+json</code> body
(RFC 9457) whose <code>type</code> is one of these.</p>
<table>
<thead><tr><th>status</th><th>type</th><th>title</th></tr></thead>
<tbody>
{% for problem in problems %}<tr><td>{{ problem.status }}</td><td><a href="{{ problem.type }}">{{ problem.slug }}</a></td><td>{{ problem.title }}</td></tr>
{% endfor %}</tbody>
</table>
</body>
</html>
"""

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ problem.title }} · rxloop</title></head>
<body>
<h1>{{ problem.title }}</h1>
<p>HTTP status {{ problem.status }} · type <code>{{ problem.type }}</code></p>
<p>{{ description }}</p>
<p><a href="/problems">Every problem type</a></p>
</body>
</html>
"""


def _described(text: str) -> Markup:
    """Descriptions mark field and header names `like this`, as Markdown does: show them as code."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@blp.route("/problems", methods=["GET"])
@public
def index():
    return render_template_string(_INDEX, problems=list(Problem))


@blp.route("/problems/<slug>", methods=["GET"])
@public
def page(slug):
    try:
        problem = Problem(slug)
    except ValueError:
        raise NotFound(_("There is no problem type by that name; /problems lists them all.")) from None
    return render_template_string(_PAGE, problem=problem, description=_described(problem.description))
