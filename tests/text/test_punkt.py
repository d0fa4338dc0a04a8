"""Tests for rhetorix.text.punkt: Punkt without ``nltk/__init__`` and without touching ``sys.modules``.

Each test runs in a fresh interpreter, since the point is what a process's
module table looks like before and after rhetorix loads Punkt.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Every import event (sys.addaudithook) and every sys.modules key seen while
# rhetorix segments a document: no nltk module may pass through the import
# system or the module table; afterwards the caller's own import is complete.
_PRIVATE = """
import sys
nltk_events = []
sys.addaudithook(lambda event, args: event == "import" and str(args[0]).startswith("nltk")
                 and nltk_events.append(args[0]))
import rhetorix
doc = rhetorix.load().score_document("Mr. Smith went to Washington. He stayed.")
assert len(doc.sentences) == 2, doc.sentences
assert nltk_events == [], nltk_events
assert not any(m == "nltk" or m.startswith("nltk.") for m in sys.modules), "nltk in sys.modules"
import nltk  # the caller's own import must be complete and normal
from nltk.tokenize import punkt, word_tokenize
assert nltk.tokenize.punkt is punkt and callable(word_tokenize) and hasattr(nltk, "FreqDist")
print("ok")
"""

# The caller imported nltk first: rhetorix segments as usual and leaves it alone.
_NLTK_FIRST = """
import sys
import nltk
before = {k: v for k, v in sys.modules.items() if k.startswith("nltk")}
import rhetorix
print(len(rhetorix.load().score_document("Dr. Smith came. He left.").sentences))
assert {k: v for k, v in sys.modules.items() if k.startswith("nltk")} == before
"""

# A thread imports nltk while another loads rhetorix's Punkt: both must end
# with what they asked for (no half-built stand-in module is ever visible).
_CONCURRENT = """
import threading
import rhetorix
scorer = rhetorix.load()
done = {}
def user():
    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer
    done["user"] = hasattr(nltk, "FreqDist") and PunktSentenceTokenizer is not None
def ours():
    done["ours"] = len(scorer.score_document("Mr. Smith went to Washington. He stayed.").sentences)
threads = [threading.Thread(target=user), threading.Thread(target=ours)]
for t in threads: t.start()
for t in threads: t.join()
assert done == {"user": True, "ours": 2}, done
print("ok")
"""


@pytest.mark.parametrize("script, expected", [(_PRIVATE, "ok"), (_NLTK_FIRST, "2"), (_CONCURRENT, "ok")],
                         ids=["private", "nltk-first", "concurrent"])
def test_punkt_loading_in_a_fresh_interpreter(subprocess_env, script, expected):
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=subprocess_env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == expected, proc.stderr
