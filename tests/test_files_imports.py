"""The file formats are dispatched from one table and receive recursion through the
extraction context: no module of dlp_proxy.files imports the dispatcher (core.py)
but the package face, no format module imports another, and the import graph of the
package (function-level and TYPE_CHECKING imports included) has no cycle."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlp_proxy.files.context import Ctx
from dlp_proxy.files.core import EXTRACTORS, extractor
from dlp_proxy.files.limits import Budget, Limits

PKG = Path(__file__).resolve().parent.parent / "dlp_proxy" / "files"
PREFIX = "dlp_proxy.files."
FORMAT_MODULES = sorted({target.split(":")[0] for target in EXTRACTORS.values()})


def _imports(module: str) -> set[str]:
    """Every dlp_proxy.files module ``module`` imports, wherever the import statement is."""
    tree = ast.parse((PKG / f"{module.removeprefix(PREFIX)}.py").read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(PREFIX) and (PKG / f"{name.removeprefix(PREFIX)}.py").exists():
                out.add(name)
    out.discard(module)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {f"{PREFIX}{p.stem}": _imports(f"{PREFIX}{p.stem}") for p in PKG.glob("*.py") if p.stem != "__init__"}
    # the dispatcher reaches the formats through its table: edges too
    graph[f"{PREFIX}core"] |= set(FORMAT_MODULES)
    return graph


def test_format_table_covers_the_formats_and_resolves() -> None:
    assert {"dlp_proxy.files.pdf", "dlp_proxy.files.ooxml", "dlp_proxy.files.archives", "dlp_proxy.files.legacy",
            "dlp_proxy.files.eml", "dlp_proxy.files.images", "dlp_proxy.files.odf",
            "dlp_proxy.files.plain"} <= set(FORMAT_MODULES)
    assert "dlp_proxy.files.core" not in FORMAT_MODULES
    for kind in EXTRACTORS:
        assert callable(extractor(kind)), kind
    assert extractor("7z") is None


#: the faces that run an extraction (the package's __init__ is one too)
FACES = {f"{PREFIX}runner"}


def test_only_the_faces_import_the_dispatcher() -> None:
    for module, deps in _graph().items():
        if module not in FACES:
            assert f"{PREFIX}core" not in deps, f"{module} imports core"


@pytest.mark.parametrize("module", FORMAT_MODULES)
def test_format_modules_import_no_other_format(module: str) -> None:
    assert not (_imports(module) & (set(FORMAT_MODULES) - {module})), _imports(module)


def test_import_graph_is_acyclic() -> None:
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [node, dep]))
            if dep not in state:
                visit(dep, path + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


@pytest.mark.parametrize("module", FORMAT_MODULES)
def test_format_module_imports_alone(module: str) -> None:
    """Imported in a fresh interpreter without the package face (which imports the
    dispatcher), a format module loads and does not pull the dispatcher in."""
    code = (
        "import sys, types, dlp_proxy\n"
        f"pkg = types.ModuleType('dlp_proxy.files'); pkg.__path__ = [{str(PKG)!r}]\n"
        "sys.modules['dlp_proxy.files'] = pkg\n"
        f"import {module}\n"
        "assert 'dlp_proxy.files.core' not in sys.modules, 'core imported'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=PKG.parent.parent)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_recursion_goes_through_the_context() -> None:
    """An archive's members, a message's attachments: handed to ``Ctx.extract``, i.e. to
    whatever dispatcher the context carries (here a recorder)."""
    seen: list[tuple[str, bytes, str]] = []

    def record(data: bytes, ctx: Ctx, kind: str | None, name: str) -> str:
        seen.append((ctx.prefix, data, name))
        return "text"

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/a.csv", "id\n1\n")
    fn = extractor("zip")
    assert fn is not None
    budget = Budget(Limits())
    fn(buf.getvalue(), Ctx(budget, recurse=record), "zip", "outer.zip")
    assert seen == [("member=inner/a.csv", b"id\n1\n", "inner/a.csv")]
    # without a dispatcher, a nested file is reported, never silently skipped
    budget = Budget(Limits())
    fn(buf.getvalue(), Ctx(budget), "zip", "outer.zip")
    assert ("unsupported-type", "member=inner/a.csv") in budget.problems
