"""The README's picture of the playground must show the page as it is: a hash of the
page's static files is recorded beside it when `make playground-picture` makes it."""
from pathlib import Path

from autograd_flow.playground.screenshot import digest_path, static_digest

PICTURE = Path(__file__).resolve().parents[2] / "docs" / "playground.png"


def test_the_picture_was_made_from_the_pages_current_files():
    recorded = digest_path(PICTURE)
    assert PICTURE.is_file() and recorded.is_file(), \
        f"{PICTURE.name} or {recorded.name} is missing: run `make playground-picture`"
    assert recorded.read_text().split()[0] == static_digest(), (
        "the playground's static files changed after docs/playground.png was made: "
        "run `make playground-picture` and commit the new picture and its .sha256")


def test_the_digest_follows_every_static_file(tmp_path, monkeypatch):
    from autograd_flow.playground import screenshot

    for name, text in (("index.html", "<p>"), ("page.js", "1")):
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(screenshot, "STATIC_DIR", tmp_path)
    before = static_digest()
    (tmp_path / "page.js").write_text("2")
    changed = static_digest()
    (tmp_path / "new.css").write_text("")
    assert len({before, changed, static_digest()}) == 3
