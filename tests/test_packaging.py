"""`pip install .` must give a working gateway: code, recognizers and the default config."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_packages_defaults_and_console_script(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    wheel = next(tmp_path.glob("dlp_proxy-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("dlp_proxy/defaults/policy.yaml", "dlp_proxy/defaults/recognizers.yaml", "dlp_proxy/gateway/addon.py",
                     "dlp_proxy/detect/__init__.py", "dlp_proxy/recognizers/ssn.py", "dlp_proxy/simulator/__init__.py"):
        assert required in names, required
    # recognizers/ ships inside the package, not as a generic top-level package
    assert not any(n.startswith("recognizers/") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "dlp-proxy = dlp_proxy.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
    # the packaged defaults are the repository's config, byte for byte
    z = zipfile.ZipFile(wheel)
    for name in ("policy.yaml", "recognizers.yaml"):
        assert z.read(f"dlp_proxy/defaults/{name}") == (ROOT / "config" / name).read_bytes()


def test_config_dir_falls_back_to_packaged_defaults(tmp_path: Path, monkeypatch) -> None:
    from dlp_proxy import settings

    monkeypatch.delenv("DLP_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    # in a checkout, the repository's config/ is found next to the package
    assert (settings.config_dir() / "policy.yaml").exists()
    monkeypatch.setenv("DLP_CONFIG_DIR", str(tmp_path))
    assert settings.config_dir() == tmp_path


def test_lock_file_pins_every_runtime_dependency_with_hashes() -> None:
    """requirements.lock (used by deploy/Dockerfile) pins each runtime dependency of
    pyproject.toml, every pin with its hashes: regenerate it when a dependency changes
    (the command is on the lock's second line)."""
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (root / "requirements.lock").read_text()

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {norm(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==\S+ \\$", lock, re.M)}
    for dep in deps:
        name = norm(re.match(r"[A-Za-z0-9_.\-]+", dep).group(0))  # type: ignore[union-attr]
        assert name in pinned, f"{name} is not in requirements.lock"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_no_runtime_module_imports_the_top_level_recognizers_package() -> None:
    """``recognizers/`` installs as ``dlp_proxy.recognizers`` (package-dir): an import of
    a top-level ``recognizers`` works from the repository root, where the tests run, and
    fails in an installed gateway (every split-window post answered 503)."""
    import ast

    root = ROOT
    offenders = []
    for folder in ("dlp_proxy", "recognizers"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                offenders += [f"{path.relative_to(root)}:{node.lineno}" for n in names
                              if n == "recognizers" or n.startswith("recognizers.")]
    assert offenders == []


#: modules imported at run time that pyproject.toml does not name, on purpose: each is
#: imported under ``except ImportError`` and the code works without it
OPTIONAL_IMPORTS = {
    "uvloop": "--event-loop uvloop/auto (cli/run.py); a test extra",
    "tldextract": "made offline only when presidio brings it (detect/engine.py)",
}


def test_every_module_imported_at_run_time_is_a_declared_dependency() -> None:
    """A third-party module that dlp_proxy or recognizers imports (at the top or inside a
    function) is named in pyproject.toml's dependencies: one that only arrives with another
    package leaves when that package stops depending on it (mitmproxy 12.3 no longer
    brings zstandard, which gateway/extract.py and files/archives.py import)."""
    import ast
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    root = Path(__file__).resolve().parent.parent
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {norm(re.match(r"[A-Za-z0-9_.\-]+", d).group(0)) for d in deps}  # type: ignore[union-attr]
    imported: dict[str, set[str]] = {}
    for base in ("dlp_proxy", "recognizers"):
        for path in sorted((root / base).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
                for name in names:
                    imported.setdefault(name.split(".")[0], set()).add(str(path.relative_to(root)))
    own = {"dlp_proxy", "recognizers", "__future__"}
    dists = packages_distributions()
    missing = {}
    for module, where in sorted(imported.items()):
        if module in sys.stdlib_module_names or module in own or module in OPTIONAL_IMPORTS:
            continue
        names = {norm(d) for d in dists.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(where)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
