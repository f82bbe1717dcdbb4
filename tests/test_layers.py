"""The package's floors (issue 17): the command-line faces (``dlp_proxy.cli``) and
the gateway sit on top; detect, policy, archive, quarantine and files import no
CLI and no gateway, so each can be used, tested and changed without the others'
faces.  Imports are read from the source (``import``, ``from``, and
``importlib.import_module("...")`` with a literal), not from a running process,
so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE = ("detect", "policy", "archive", "quarantine", "files")
FORBIDDEN = ("dlp_proxy.cli", "dlp_proxy.gateway")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def test_imports_of_reads_every_spelling(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("import dlp_proxy.gateway.x\nfrom dlp_proxy import cli\n"
                   "def f():\n    import importlib\n    importlib.import_module('dlp_proxy.cli.run')\n")
    assert {"dlp_proxy.gateway.x", "dlp_proxy.cli", "dlp_proxy.cli.run"} <= imports_of(src)


@pytest.mark.parametrize("package", CORE)
def test_core_imports_no_cli_and_no_gateway(package: str) -> None:
    bad = {}
    for path in sorted((ROOT / "dlp_proxy" / package).rglob("*.py")):
        hits = sorted(name for name in imports_of(path)
                      if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    assert not bad, f"core package {package} imports a CLI or the gateway: {bad}"


def test_no_cli_module_left_inside_a_part() -> None:
    strays = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "dlp_proxy").rglob("cli.py"))
    assert not strays, f"command-line faces belong in dlp_proxy/cli/: {strays}"
