"""Messages in the client's language: English by default, Chinese for `Accept-Language: zh-CN`
(or when chosen on the workbench's pages).

Every user-facing string is marked with `_()` (translated now) or `_l()` (translated when it is
rendered, for strings built at import time). Catalogues live in core/translations/ and are
compiled at install. Rule ids, codes and slugs are never translated.
"""

from flask import has_request_context, request, session
from flask_babel import Babel, gettext, lazy_gettext, ngettext

LANGUAGES = ("en", "zh")  # the first is the default

_ = gettext
_l = lazy_gettext
n_ = ngettext  # n_(singular, plural, num, **values): '1 pack' / '2 packs'


def select_locale() -> str:
    if not has_request_context():
        return LANGUAGES[0]
    # Picked on the workbench's pages (web/) and kept in its session cookie; API calls carry none.
    chosen = session.get("lang") if request.cookies else None
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(_translations_dir()))
    Babel(app, locale_selector=select_locale)


def _translations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "translations"
