"""Messages in the client's language: English by default, Chinese for `Accept-Language: zh-CN`
(or when chosen on the workbench's pages).

Every user-facing string is marked with `_()` (translated now) or `_l()` (translated when it is
rendered, for strings built at import time). Catalogues live in core/translations/ and are
compiled at install. Rule ids, codes and slugs are never translated.
"""

from flask import has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, gettext, lazy_gettext, ngettext, refresh

__all__ = ["LANGUAGES", "N_", "_", "_l", "n_", "force_locale", "in_language", "init_app", "select_locale"]

LANGUAGES = ("en", "zh")  # the first is the default

_ = gettext
_l = lazy_gettext
n_ = ngettext  # n_(singular, plural, num, **values): '1 pack' / '2 packs'


def N_(message: str) -> str:
    """Marks a message for the catalogue without translating it (it is translated where it is shown)."""
    return message


def in_language(en: str, *, zh: str | None) -> str:
    """A name the data holds in both languages, in the client's (English when there is no Chinese)."""
    locale = get_locale()  # Babel's choice for this request, or a forced one; None outside an app
    return zh if zh and locale is not None and locale.language == "zh" else en


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
    # Flask-Babel keeps the locale it chose on the application context; a request inside an
    # outer one (a CLI command, a test) would answer in the language of the first: choose again.
    app.before_request(refresh)


def _translations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "translations"
