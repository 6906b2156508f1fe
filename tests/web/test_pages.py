"""What holds for every page: each text translated, each template autoescaped."""

from __future__ import annotations

from api.web import i18n, render


def test_every_text_has_a_danish_translation():
    assert i18n.missing("da") == {}  # run `python -m api.web.i18n` for what to add


def test_every_po_file_of_a_language_is_merged(tmp_path, monkeypatch):
    for lang in ("da",):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "a.po").write_text('msgid "One"\nmsgstr "En"\n', encoding="utf-8")
        (folder / "b.po").write_text('msgid "Two"\nmsgstr "To"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        merged = i18n.translations("da")
        assert (merged.gettext("One"), merged.gettext("Two")) == ("En", "To")
    finally:
        i18n.translations.cache_clear()


def test_templates_are_autoescaped():
    env = render.environment("da")
    template = env.from_string("{{ x }}")
    assert template.render(x="<script>") == "&lt;script&gt;"
    assert env.get_template("base.html").environment.autoescape("base.html") is True
