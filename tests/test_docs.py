"""The facts the documentation states that drift: how many models ship, and that every path it names exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "README.zh-CN.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
SHIPPED = sorted(p.stem for p in (ROOT / "checkpoints").glob("*.safetensors"))
TOP = ("vae/", "ui/", "pages/", "tests/", "bench/", "docs/", "checkpoints/", "locale/", ".ci/", ".streamlit/")
RUNTIME = ("runs/", "data/")  # made at run time, not in the repository


def named_paths(text: str) -> set[str]:
    """Repository paths in `code` spans and Markdown links: those under a top-level folder of the project or a
    top-level file with a suffix (``requirements.txt``, ``app.py``); globs and placeholders left out."""
    spans = re.findall(r"`([^`\s]+)`", text) + re.findall(r"\]\(([^)#\s]+)\)", text)
    out = set()
    for s in spans:
        s = s.rstrip(".,:;")
        if any(c in s for c in "{}*<>|$") or s.startswith(("http", "/", "~")):
            continue
        if s.startswith(TOP) or re.fullmatch(r"[A-Za-z][\w.-]*\.(py|txt|md|toml|cfg)", s):
            out.add(s)
    return out


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 200 and len(text.encode()) < 20_000
    for heading in ("## Two commands", "## The pages", "## Command line"):
        assert heading in text
    assert "make run" in text and "make test" in text


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_a_document_names_exists(doc):
    base = doc.parent
    missing = []
    for path in sorted(named_paths(doc.read_text())):
        if path.startswith(RUNTIME):
            continue
        if not ((base / path).exists() or (ROOT / path).exists()):
            missing.append(path)
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_the_number_of_shipped_models_is_true_everywhere():
    n = len(SHIPPED)
    assert re.search(rf"\b{n} small pretrained models ship in `checkpoints/`", (ROOT / "README.md").read_text())
    assert f"{n} 个小型预训练模型" in (ROOT / "README.zh-CN.md").read_text()
    models = (ROOT / "docs" / "models.md").read_text()
    assert models.count(f"{n} models, made") == 1
    rows = re.findall(r"^\| `([\w.-]+)` \|", models, flags=re.M)  # one unbroken table, a row per model
    assert sorted(rows) == SHIPPED


def test_named_paths_finds_what_it_should():
    """The checker would catch a stale path such as the old `vae/cost.py`."""
    found = named_paths("see `vae/cost.py`, [a](docs/x.md), `requirements.txt`, `pages/{a,b}/*.py`, `--out F.png`")
    assert found == {"vae/cost.py", "docs/x.md", "requirements.txt"}
