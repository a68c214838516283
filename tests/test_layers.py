"""The backend's layers: each package imports only from the layers below it (or its own), never
from streamlit, and no module imports itself back through another (CONTRIBUTING.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [  # lowest first
    ("vae.i18n", "vae.errors", "vae.config"),
    ("vae.data",),
    ("vae.models",),
    ("vae.objectives",),
    ("vae.analysis",),
    ("vae.training",),
    ("vae.figures",),
    ("vae.service",),
    ("vae.wording",),
    ("vae.cli", "vae.__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    if module == "vae":
        return -1
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and CONTRIBUTING.md")


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports (at any depth: local imports count too), with its line."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports (from vae.x import y)"
            out.append((node.module, node.lineno))
            out += [
                (f"{node.module}.{a.name}", node.lineno)
                for a in node.names
                if (ROOT / Path(*f"{node.module}.{a.name}".split("."))).with_suffix(".py").exists()
            ]
    return out


MODULES = {module_name(p): p for p in sorted((ROOT / "vae").rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_and_those_below(module):
    here = layer(module)
    for target, line in imports(MODULES[module]):
        assert not target.split(".")[0] == "streamlit", f"{module}:{line} imports streamlit: the backend has no UI"
        if target.startswith("vae.") and target in MODULES:
            assert layer(target) <= here, f"{module}:{line} imports {target}, a higher layer"


def test_no_import_circles():
    graph = {
        m: {t for t, _ in imports(p) if t in MODULES and t != m and not m.startswith(t + ".") and t != "vae"}
        for m, p in MODULES.items()
    }
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for t in graph[m]:
            if state.get(t) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(t) :] + [t]))
            if t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])


PAGE_MOST_LINES = 150


@pytest.mark.parametrize("page", sorted((ROOT / "pages").rglob("*.py")), ids=lambda p: p.stem)
def test_a_page_only_wires_widgets_to_the_backend(page):
    """A page of at most 150 lines: what grows goes into ui/ or the backend, where it is tested on its own."""
    lines = len(page.read_text(encoding="utf-8").splitlines())
    assert lines <= PAGE_MOST_LINES, f"{page.relative_to(ROOT)} has {lines} lines"


def test_what_x_is_is_asked_of_the_modality_not_tested_by_name():
    """Outside the modality module and the two registries keyed by it (the networks, the figures), code asks a
    modality what it needs (textual, drawable, its families...) instead of comparing its kind with a name: a new
    kind of data then costs its class and its two entries, not a branch in every page."""
    import re

    allowed = {"vae/data/modality.py", "vae/figures/examples.py", "vae/models/vae.py"}
    test = re.compile(r"""\.kind\s*(==|!=|in)\s*[("']|\[["']kind["']\]\s*(==|!=)""")
    found = [
        f"{p.relative_to(ROOT)}:{i}"
        for folder in ("vae", "ui", "pages")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if str(p.relative_to(ROOT)) not in allowed
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if test.search(line)
    ]
    assert len(found) <= 5, found
