"""
The translations are complete and current, deterministically:

- no template shows a literal, untranslated user-facing string (text between tags, and the
  aria-label / title / placeholder / alt attributes), in pages and emails alike;
- extracting the messages afresh (makemessages, on a copy of the sources) finds exactly the
  entries of locale/es/LC_MESSAGES/django.po: nothing new left untranslated, nothing stale;
- every entry is translated and none is fuzzy;
- the compiled .mo (committed, for machines without gettext) says what the .po says.
"""

import gettext
import html.parser
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType

BASE = Path(settings.BASE_DIR)
PO = BASE / "locale/es/LC_MESSAGES/django.po"
MO = BASE / "locale/es/LC_MESSAGES/django.mo"
# What makemessages reads (Makefile, "messages"): the apps and the templates.
NOT_SOURCES = (".venv", ".git", "var", "staticfiles", "bench", "tests", "docs", "locale",
               "node_modules", "__pycache__", "*.pyc", "ops", "scripts")
ALLOWED_WORDS = {"Optify"}  # a name, the same in every language
CHECKED_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-label", "data-confirm"}
MARK = "\x00"  # where a {{ variable }} or a {% tag %} was


def skeleton(source):
    """The template's text with every variable as MARK and tags removed, without the
    translated blocks ({% blocktranslate %}...) and comments, for an HTML parser to read."""
    out, skipping = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if skipping:
                if name == skipping:
                    skipping = None
                continue
            if name in ("blocktranslate", "blocktrans"):
                skipping = "end" + name
            elif name == "comment":
                skipping = "endcomment"
            elif name == "block" and token.contents.endswith("_class"):
                skipping = "endblock"  # a CSS class for base.html's attributes, not text
            # Nothing in its place: `<li{% if done %} class="done"{% endif %}>` stays a tag.
        elif token.token_type == TokenType.TEXT and not skipping:
            out.append(token.contents)
        elif not skipping:
            out.append(MARK)
    return "".join(out)


def words(text):
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text.replace(MARK, " "))
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", text) if w not in ALLOWED_WORDS]


class Literals(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "pre"):  # code and samples (a CSV's column names)
            self.skip += 1
        for name, value in attrs:
            if name in CHECKED_ATTRIBUTES and value and words(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and words(data):
            self.found.append(" ".join(data.replace(MARK, "…").split()))


def literal_strings(path):
    text = skeleton(path.read_text())
    if path.suffix == ".txt":  # emails' plain parts: all of it is read
        return [" ".join(line.replace(MARK, "…").split())
                for line in text.splitlines() if words(line)]
    parser = Literals()
    parser.feed(text)
    return parser.found


def test_no_template_shows_an_untranslated_literal():
    untranslated = {
        str(path.relative_to(BASE)): found
        for path in sorted((BASE / "templates").rglob("*"))
        if path.suffix in (".html", ".txt") and (found := literal_strings(path))
    }
    assert untranslated == {}, "wrap these in {% translate %} / {% blocktranslate %}"


def test_the_scanner_finds_what_it_should():
    assert literal_strings_of('<p>Hello <a title="Open it" href="{% url "x" %}">{{ x }}</a></p>') \
        == ["Hello", 'title="Open it"']
    assert literal_strings_of('{% load i18n %}<p>{% translate "Hi" %} {% blocktranslate %}A '
                              '{{ b }}{% endblocktranslate %} Optify</p>') == []


def literal_strings_of(source):
    parser = Literals()
    parser.feed(skeleton(source))
    return parser.found


def parse_po(text):
    """{(msgctxt, msgid, msgid_plural): (flags, [msgstr...])} of a .po file."""
    entries = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        fields, flags, key = {}, set(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$',
                                   line):
                key = match[1]
                fields[key] = [match[2]]
            elif line.startswith('"') and key:
                fields[key].append(line)
        if "msgid" not in fields:
            continue
        value = {k: "".join(eval(part) for part in v) for k, v in fields.items()}  # noqa: S307
        if value["msgid"] == "":
            continue  # the header
        strings = [v for k, v in sorted(value.items()) if k.startswith("msgstr")]
        entries[(value.get("msgctxt"), value["msgid"], value.get("msgid_plural"))] = \
            (flags, strings)
    return entries


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO.read_text())
    assert len(entries) > 300
    untranslated = [key[1] for key, (_, strings) in entries.items() if not all(strings)]
    fuzzy = [key[1] for key, (flags, _) in entries.items() if "fuzzy" in flags]
    assert untranslated == [] and fuzzy == []


def test_the_compiled_catalog_says_what_the_po_says():
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for (context, msgid, plural), (_, strings) in parse_po(PO.read_text()).items():
        if plural is None:
            said = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert said == strings[0], msgid
        else:
            assert compiled.ngettext(msgid, plural, 1) == strings[0], msgid
            assert compiled.ngettext(msgid, plural, 5) == strings[-1], msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalog_has_exactly_the_messages_of_the_sources(tmp_path, settings, monkeypatch):
    copy = tmp_path / "src"
    shutil.copytree(BASE, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    (copy / "locale/es/LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO, copy / "locale/es/LC_MESSAGES/django.po")
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], no_location=True, no_obsolete=True,
                 verbosity=0)
    fresh = parse_po((copy / "locale/es/LC_MESSAGES/django.po").read_text())
    ours = parse_po(PO.read_text())
    new = sorted(key[1] for key in fresh.keys() - ours.keys())
    stale = sorted(key[1] for key in ours.keys() - fresh.keys())
    assert (new, stale) == ([], []), "run `make messages` and translate the new entries"
