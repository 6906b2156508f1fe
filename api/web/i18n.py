"""The pages' languages: Danish (the default) and English, from gettext catalogues.

Source strings (msgids) are English, in the templates (``{% trans %}``, ``_()``) and in
Python (:func:`N_` marks a string for extraction without translating it where it stands).
Every ``.po`` file in ``locale/<lang>/LC_MESSAGES/`` is read and merged into that
language's translations at start-up, compiled in memory with Babel: no ``.mo`` file is
committed, and each group of pages keeps its own catalogue (``messages.po`` for the
log-in and the citizen, ``employer.po``, ``operator.po``) so that their authors never edit
the same file. English needs no translation (its msgids are the text); ``en`` catalogues
exist for the odd string whose English differs from its msgid.

The application layer writes a few texts the pages show as they are (the advice for a
held payment, :data:`payments.order_views.ADVICE`): those English texts are msgids too, so
there is one home for each text and the Danish catalogue translates it.

The language is the visitor's choice, kept in the ``lang`` cookie (never in a URL), or
Danish.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("da", "en")
DEFAULT = "da"
COOKIE = "lang"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


@cache
def translations(lang: str) -> Translations:
    """Every catalogue of ``lang`` merged (files in name order), compiled with Babel."""
    merged = Translations()
    merged.domain = "messages"
    for path in sorted((LOCALE_DIR / lang).glob("LC_MESSAGES/*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        merged.merge(Translations(buffer))
    return merged


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(lang)


def choose(cookie: str | None) -> str:
    """The language of a request: the cookie's, when it is one of :data:`LANGUAGES`."""
    return cookie if cookie in LANGUAGES else DEFAULT


# -- keeping the catalogues complete ------------------------------------------------------


def extracted() -> dict[str, list[str]]:
    """Every msgid the pages use -> where: the templates (``_``, ``{% trans %}``), the
    pages' Python (``_``, ``N_``, ``gettext``) and the application layer's texts the
    pages show as they are (:data:`payments.order_views.ADVICE`)."""
    from babel.messages.extract import extract_from_dir

    from payments import order_views

    root = Path(__file__).parent
    found: dict[str, list[str]] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    for path, line, message, _comments, _context in extract_from_dir(
        root, method_map, options, keywords=keywords
    ):
        # a plural (ngettext) is one entry, under its singular msgid
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"api/web/{path}:{line}")
    texts = [*order_views.ADVICE.values(), *order_views.RETURNED_ADVICE.values()]
    for text in texts:
        found.setdefault(text, []).append("payments/order_views.py")
    return found


def missing(lang: str = DEFAULT) -> dict[str, list[str]]:
    """The msgids that no catalogue of ``lang`` translates."""
    catalogue = translations(lang)._catalog  # noqa: SLF001 (the merged catalogue)
    return {
        m: where
        for m, where in extracted().items()
        if not (catalogue.get(m) or catalogue.get((m, 0)))  # a plural's forms are (m, n)
    }


if __name__ == "__main__":  # python -m api.web.i18n: what to add to your group's .po
    for msgid, where in missing().items():
        print(f"#: {' '.join(where)}\nmsgid {json.dumps(msgid, ensure_ascii=False)}\n"
              'msgstr ""\n')  # fmt: skip
