"""The package layout: imports run one way, no cycles, no private names across modules, packaging.

The import graph is read from the source with ``ast`` (every ``import``
statement, at module level or inside a function; ``if TYPE_CHECKING:`` blocks
are left out because they never run).  Importing ``rhetorix.a.b`` also runs
``rhetorix/a/__init__.py``, so an edge to a module is an edge to its parent
packages too.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import rhetorix

PACKAGE = Path(rhetorix.__file__).resolve().parent

# Layers from the bottom up: a module may import its own layer and the ones below.
LAYERS: List[Tuple[str, ...]] = [
    ("rhetorix", "rhetorix._version", "rhetorix.errors", "rhetorix.progress"),
    ("rhetorix.text",),
    ("rhetorix.cues",),
    ("rhetorix.features",),
    ("rhetorix.bundle",),
    ("rhetorix.tiers",),
    ("rhetorix.results",),
    ("rhetorix.scorer",),
    ("rhetorix.io",),
    ("rhetorix.batch", "rhetorix.report", "rhetorix.frames"),
    ("rhetorix.dask",),
    ("rhetorix.cli",),
]
# Training sits beside the layers (only the command line calls it) and uses only these:
# the model code up to the tiers (it labels the distillation pool and evaluates the shipped tiers).
TRAINING_MAY_IMPORT = ("rhetorix", "rhetorix._version", "rhetorix.errors", "rhetorix.text", "rhetorix.cues",
                       "rhetorix.features", "rhetorix.bundle", "rhetorix.tiers", "rhetorix.training")
# The one import that runs upwards, inside a method: DocumentScore.to_html()
# renders with the report (which itself never imports results).
ALLOWED_UPWARD = {("rhetorix.results", "rhetorix.report")}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> Dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield child
                yield from _walk(child)
            continue
        yield node
        yield from _walk(node)


def imports_of(name: str, path: Path, modules: Dict[str, Path]) -> List[Tuple[str, List[str]]]:
    """``(imported module, imported names)`` of every rhetorix import in one module."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "rhetorix"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "rhetorix":
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            out += [(m, []) for m in submodules]
            out.append((target, [n for n in names if f"{target}.{n}" not in modules]))
    return out


def graph() -> Dict[str, Set[str]]:
    modules = all_modules()
    edges: Dict[str, Set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, _ in imports_of(name, path, modules):
            parts = target.split(".")
            for k in range(1, len(parts) + 1):  # the module and its parent packages
                dep = ".".join(parts[:k])
                if dep in modules and dep != name and not name.startswith(dep + "."):
                    edges[name].add(dep)
    return edges


def layer_of(name: str) -> int:
    best = None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (i, len(prefix))
    assert best is not None, f"{name} is in no layer"
    return best[0]


def find_cycle(edges: Dict[str, Set[str]]) -> List[str]:
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


@pytest.mark.parametrize("name", sorted(all_modules()))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_no_import_cycle():
    assert find_cycle(graph()) == []


def test_imports_run_one_way():
    wrong = []
    for name, deps in graph().items():
        for dep in deps:
            if name.startswith("rhetorix.training"):
                if not any(dep == p or dep.startswith(p + ".") for p in TRAINING_MAY_IMPORT):
                    wrong.append((name, dep))
            elif dep.startswith("rhetorix.training"):
                if name != "rhetorix.cli":  # the train and evaluate commands
                    wrong.append((name, dep))
            elif layer_of(dep) > layer_of(name) and not any(
                name == a and (dep == b or dep.startswith(b + ".")) for a, b in ALLOWED_UPWARD
            ):
                wrong.append((name, dep))
    assert wrong == []


def test_no_private_names_across_modules():
    modules = all_modules()
    found = []
    for name, path in modules.items():
        for target, names in imports_of(name, path, modules):
            if target == name:
                continue
            found += [(name, target, n) for n in names if n.startswith("_") and not n.startswith("__")]
    assert found == []


def test_the_graph_sees_a_cycle_and_an_upward_import():
    """Negative controls: the checks above can fail."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert layer_of("rhetorix.cli") > layer_of("rhetorix.scorer") > layer_of("rhetorix.text.segment")
    edges = graph()
    assert "rhetorix.cues.lexicon" in edges["rhetorix.features.featurize"]
    assert "rhetorix.report.document" in edges["rhetorix.results"]  # the lazy import is seen


def test_bundle_lexicons_equal_the_package_lexicons():
    """One source of truth: the shipped bundle carries the lexicons of rhetorix/cues/lexicons."""
    from rhetorix.bundle import bundle_path
    from rhetorix.cues.lexicon import Lexicon

    assert Lexicon.from_dir(bundle_path("fast") / "lexicons").entries == Lexicon.default().entries


def test_ruff_passes(repo_root):
    """The linter configured in pyproject.toml finds nothing (ruff comes with the test extra)."""
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install '.[test]')")
    proc = subprocess.run([ruff, "check", "--no-cache", str(repo_root)], capture_output=True, text=True,
                          cwd=repo_root, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Scoring, batch and reports with scikit-learn, scipy and pandas made unimportable,
# as after `pip install rhetorix` without extras.
_WITHOUT_EXTRAS = """
import sys, tempfile, os, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("sklearn", "scipy", "pandas", "torch"):
            raise ImportError(f"{name} is blocked: not installed")
sys.meta_path.insert(0, Block())
import rhetorix
doc = rhetorix.load().score_document("Sanctions caused the shortages, many experts say. Prices rose 4%.")
assert len(doc.sentences) == 2 and doc.to_html()
out = os.path.join(tempfile.mkdtemp(), "out.jsonl")
src = out + ".in.jsonl"
open(src, "w").write('{"id": "a", "text": "The drought pushed prices up."}\\n')
assert rhetorix.run_batch([src], out, progress=False).documents == 1
try:
    rhetorix.CueFeatures
except ImportError as exc:
    assert "pip install 'rhetorix[train]'" in str(exc), exc
else:
    raise AssertionError("the scikit-learn transformers imported without scikit-learn")
from rhetorix import cli
assert cli.main(["train", "-o", out + ".bundle"]) == 1  # one line naming the extra, no traceback
print("ok")
"""


def test_scoring_needs_no_training_extra(subprocess_env):
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRAS], capture_output=True, text=True,
                          env=subprocess_env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
