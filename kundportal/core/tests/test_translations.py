"""Translations: every Swedish and German message is translated, and pages speak the browser's language.

A tiny .po parser reads the catalogues, so checking them needs no GNU gettext. Only compiling a missing .mo
file does: `make messages` compiles them, and a test run on its own compiles them here if they are absent.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed

LANGUAGES = ("sv", "de")
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete `#~` entries and the header left out)."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if entry.msgstr:
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if entry.msgstr:
                finish()
        else:
            keyword, _, rest = line.partition(" ")
            if keyword.startswith('"'):
                keyword, rest = "", line
            text = ast.literal_eval(rest) if rest else ""
            if keyword in ("msgctxt", "msgid") and (entry.msgstr or (keyword == "msgctxt" and entry.msgid)):
                finish()
            if keyword == "msgid" and not entry.line:
                entry.line = number
            if keyword:
                target = keyword
            if target == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + text
            elif target == "msgid":
                entry.msgid += text
            elif target == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + text
            elif target == "msgstr" or (target or "").startswith("msgstr["):
                index = 0 if target == "msgstr" else int(target[7:-1])
                entry.msgstr[index] = entry.msgstr.get(index, "") + text
    finish()
    return [e for e in entries if e.msgid]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogues() -> None:
    """Compile the catalogues if a .mo file is missing (only ours: every other locale dir is ignored)."""
    if all(po_path(language).with_suffix(".mo").exists() for language in LANGUAGES):
        return
    call_command("compilemessages", locale=list(LANGUAGES), ignore_patterns=["*"], verbosity=0)
    # Catalogues loaded before the .mo files existed are cached without our messages: have Django drop them.
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_exists_and_has_messages(language):
    assert po_path(language).exists(), f"run `make messages` to create {po_path(language)}"
    assert len(parse_po(po_path(language))) > 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    untranslated, fuzzy = [], []
    for entry in parse_po(po_path(language)):
        forms = 2 if entry.msgid_plural is not None else 1
        if len(entry.msgstr) < forms or not all(entry.msgstr.values()):
            untranslated.append(entry.label)
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.label)
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    broken = []
    for entry in parse_po(po_path(language)):
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for translation in entry.msgstr.values():
            if translation and set(PLACEHOLDER.findall(translation)) != wanted:
                broken.append(f"{entry.label} -> {translation!r}")
    assert not broken, f"placeholders differ in {language}: {broken}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    with po_path(language).with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in parse_po(po_path(language)):
        if "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue
        if entry.msgid_plural is not None:
            found = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
            expected = [entry.msgstr.get(0), entry.msgstr.get(1)]
        else:
            found = [
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            ]
            expected = [entry.msgstr.get(0)]
        if found != expected:
            stale.append(entry.label)
    assert not stale, f"the {language} .mo file is out of date (run `make messages`): {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "text"), [("sv", "Logga in"), ("de", "Anmelden"), ("en", "Sign in")])
def test_the_sign_in_page_speaks_the_browsers_language(client, language, text):
    response = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert text in html
