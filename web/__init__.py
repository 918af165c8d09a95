"""The workbench: server-rendered pages for pharmacists, doctors and patients, over the same service
functions as the API (no rule of its own)."""

from web import clinic, mine, pharmacy, signin
from web.pages import csrf, money, number, template_globals, when

BLUEPRINTS = (signin.bp, pharmacy.bp, clinic.bp, mine.bp)


def init_app(app) -> None:
    """Called by the composition root (core/app.py)."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by the pages' blueprints only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lives as long as the signed-in session
    csrf.init_app(app)
    app.context_processor(template_globals)
    for name, function in (("number", number), ("money", money), ("when", when)):
        app.add_template_filter(function, name)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
