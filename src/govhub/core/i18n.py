"""Locales and message catalogs: which language a request speaks, and its translations.

The catalogs are Babel `.po` files under `src/govhub/web/locale/<locale>/LC_MESSAGES/`, read
and compiled in memory the first time a locale is used, so a fresh clone with `pip install -e .`
needs no build step and no `.mo` files are committed. Message ids are English; the `en`
catalog may leave them untranslated, the `zh_CN` catalog translates every one.

A request's locale is, in order: the `govhub_lang` cookie, the best match of its
`Accept-Language` header, then `settings.default_locale`.

Updating the catalogs after adding text (run from the repository root)::

    pybabel extract -F src/govhub/web/babel.cfg -k N_ --sort-output --no-location \
        --project GovHub --copyright-holder "GovHub contributors" \
        -o src/govhub/web/locale/messages.pot src/govhub
    pybabel update -i src/govhub/web/locale/messages.pot -d src/govhub/web/locale \
        --no-fuzzy-matching
    # then translate the new, empty entries of zh_CN/LC_MESSAGES/messages.po;
    # tests/web/test_i18n.py fails while any marked string lacks a Chinese translation.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from govhub.core.settings import get_settings

LOCALE_COOKIE = "govhub_lang"
SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
CATALOG_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 - the conventional name extraction tools look for
    """Mark `message` for extraction without translating it now."""
    return message


def normalize_locale(value: str | None) -> str | None:
    """Map a language tag (`zh-CN`, `zh-Hans`, `en-GB`, `en`) to a supported locale, or None."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    primary = tag.split("_", 1)[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


def _accept_language(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, best first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_locale(cookie: str | None, accept_language: str | None) -> str:
    """Choose the locale from the language cookie, then Accept-Language, then the default."""
    if cookie in SUPPORTED_LOCALES:
        return cookie
    for tag in _accept_language(accept_language or ""):
        locale = normalize_locale(tag)
        if locale is not None:
            return locale
    default = get_settings().default_locale
    return default if default in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def get_translations(locale: str) -> Translations:
    """Return the compiled translations of `locale`, read from its `.po` catalog once."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    path = CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(locale: str, message: str) -> str:
    """Translate `message` into `locale`."""
    return get_translations(locale).gettext(message)
