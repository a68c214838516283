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
