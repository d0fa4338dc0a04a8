"""Give an accurate bundle's graph the ``pooled`` and ``hidden`` outputs the persuasion technique heads read.

    python tools/expose_states.py models/accurate

Runs :func:`rhetorix.training.teacher.add_state_outputs` on ``BUNDLE/model.onnx``
(needs the ``teacher`` extra's ``onnx``) and records the outputs and the new
checksum in the manifest.  Every weight and the other outputs stay as they are;
a bundle trained by ``rhetorix train --tier accurate`` has them already.  Then
``rhetorix train --techniques -o BUNDLE`` fits the technique heads.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rhetorix.bundle import add_files, load_bundle
from rhetorix.training.teacher import STATE_OUTPUTS, add_state_outputs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="an accurate bundle folder")
    args = parser.parse_args(argv)
    manifest = load_bundle(args.bundle).manifest
    encoder = dict(manifest["encoder"])
    with tempfile.TemporaryDirectory() as tmp:
        graph = add_state_outputs(args.bundle / "model.onnx", Path(tmp) / "model.onnx")
        encoder["outputs"] = {**encoder["outputs"], **{name: name for name in STATE_OUTPUTS}}
        add_files(args.bundle, {"model.onnx": graph}, {"encoder": encoder})
    print(f"{args.bundle}: model.onnx now has the outputs {', '.join(STATE_OUTPUTS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
