"""nltk's Punkt module, loaded without ``nltk/__init__`` and without touching ``sys.modules``.

``import nltk`` loads most of nltk (and scipy.stats, scikit-learn and pandas
when they are installed): about 2 s and 170 MB, for a module that needs a few
small helpers.  :func:`load_punkt` executes ``nltk/tokenize/punkt.py`` and the
nltk modules it imports from their files into private module objects (about
0.1 s).  Their ``import`` statements are served by a private import function,
so nothing is added to or removed from ``sys.modules`` and rhetorix never
takes part in the import of the caller's own nltk: an ``import nltk`` by the
caller, before, after or at the same time in another thread, is an ordinary
complete import.  (nltk's own modules are not safe to import from two threads
at once; a private copy keeps rhetorix out of that.)  Only if this loader
fails (an nltk layout it does not know) is the ordinary ``nltk.tokenize.punkt``
returned.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import os
import types
from typing import Dict, Optional, Sequence

__all__ = ["load_punkt"]

# Packages whose __init__ is skipped (an empty package object stands in for it).
_BARE_PACKAGES = ("nltk", "nltk.tokenize")


class _PrivateNltk:
    """Loads nltk modules from their files into a private table of modules."""

    def __init__(self, roots: Sequence[str]):
        self.roots = list(roots)
        self.modules: Dict[str, types.ModuleType] = {}
        self.builtins = dict(vars(builtins), __import__=self.import_)

    def _path(self, name: str) -> Optional[str]:
        parts = name.split(".")[1:]
        for root in self.roots:
            base = os.path.join(root, *parts)
            for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                if os.path.isfile(candidate):
                    return candidate
        return None

    def load(self, name: str) -> types.ModuleType:
        """The private module `name` (``nltk`` or ``nltk.…``), loaded on first use."""
        module = self.modules.get(name)
        if module is not None:
            return module
        parent_name, _, last = name.rpartition(".")
        parent = self.load(parent_name) if parent_name else None
        path = self._path(name)
        if path is None:
            raise ImportError(f"no module named {name!r}")
        is_package = path.endswith("__init__.py")
        if name in _BARE_PACKAGES:
            module = types.ModuleType(name)
            module.__path__ = [os.path.dirname(path)]
            module.__package__ = name
            self.modules[name] = module
        else:
            spec = importlib.util.spec_from_file_location(
                name, path, submodule_search_locations=[os.path.dirname(path)] if is_package else None
            )
            module = importlib.util.module_from_spec(spec)
            module.__builtins__ = self.builtins  # its imports come back here
            self.modules[name] = module
            spec.loader.exec_module(module)
        if parent is not None:
            setattr(parent, last, module)
        return module

    def import_(self, name, globals=None, locals=None, fromlist=(), level=0):
        """``__import__`` for the private modules: nltk names privately, all else as usual."""
        if level:
            package = (globals or {}).get("__package__") or ""
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            name = f"{base}.{name}" if name else base
            level = 0
        if name != "nltk" and not name.startswith("nltk."):
            return builtins.__import__(name, globals, locals, fromlist, level)
        module = self.load(name)
        if not fromlist:
            return self.load(name.partition(".")[0])
        for attr in fromlist:
            if attr != "*" and not hasattr(module, attr) and self._path(f"{name}.{attr}"):
                self.load(f"{name}.{attr}")
        return module


def load_punkt() -> types.ModuleType:
    """A private copy of the module ``nltk.tokenize.punkt`` (see the module docstring)."""
    spec = importlib.util.find_spec("nltk")  # finds, does not import
    if spec is not None and spec.submodule_search_locations:
        try:
            return _PrivateNltk(spec.submodule_search_locations).load("nltk.tokenize.punkt")
        except Exception:  # an nltk layout this loader does not know: the ordinary import
            pass
    return importlib.import_module("nltk.tokenize.punkt")
