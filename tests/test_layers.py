"""The tree is the architecture: imports point down its layers, never sideways or up."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dedupe"

# Lower numbers sit lower: a module may import only from lower layers or from its own package.
LAYERS = {
    "errors": 0,
    "version": 0,
    "kernels": 0,
    "schema": 1,
    "config": 1,
    "normalize": 2,
    "report": 2,
    "ledger": 2,
    "io": 3,
    "clean": 3,
    "duplicates": 3,
    "review": 4,
    "engines": 5,
    "pipeline": 6,
    "cli": 7,
    "__main__": 8,
    "__init__": 8,
}
# io.state persists the fingerprints of duplicates; clean and duplicates never meet.
SIDEWAYS = {("io", "duplicates")}
# The review page and explain read the output folders that io writes, and describe the
# clusters duplicates found; they sit above both.


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _concept(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> list[ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dedupe")
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    own = _concept(path)
    for node in _imports(path):
        module = node.module or ""
        parts = module.split(".")
        if len(parts) == 1:
            assert own == "__init__", f"{path.name} imports the package's __init__"
            continue
        target = parts[1]
        if target == own or (own, target) in SIDEWAYS:
            continue
        assert LAYERS[target] < LAYERS[own], f"{path.relative_to(PACKAGE)} imports {module}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_is_imported_from_another_module(path: Path) -> None:
    for node in _imports(path):
        private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
        assert not private, f"{path.relative_to(PACKAGE)} imports {private} from {node.module}"


def test_top_of_the_package_holds_at_most_twelve_modules() -> None:
    assert len([p for p in PACKAGE.glob("*.py")]) <= 12


def test_every_sub_package_says_what_it_is() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(PACKAGE)} has no docstring"
