#!/usr/bin/env python
"""What int8 quantisation costs the accurate tier: fp32 and int8 graphs of the same model, side by side.

The final model of a teacher run (``rhetorix train --tier accurate -o RUN``) is
exported once more in fp32; both graphs are scored through the library runtime
with the shipped bundle's temperatures and thresholds on the dev sets that no
model was trained on (CheckThat! dev, PolNeAR dev), and on our held-back
sentences and our news test labels.  Needs the teacher extra (torch, to export
the fp32 graph)::

    python tools/int8_loss.py RUN [--bundle models/accurate] [--corpora PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from rhetorix.bundle import load_bundle, save_bundle  # noqa: E402
from rhetorix.tiers.accurate import AccurateModel  # noqa: E402
from rhetorix.training import corpora as C  # noqa: E402
from rhetorix.training.evaluate import attribution_metrics  # noqa: E402
from rhetorix.training.teacher import export_onnx, load_trained  # noqa: E402


def metrics(model: AccurateModel, root: Path) -> dict:
    th = model.thresholds
    ct = C.read_checkthat(root, "dev")
    p = model.predict([r.text for r in ct])
    y = np.asarray([r.label for r in ct])
    out = {"checkthat_dev_macro_f1": f1_score(y, p.opinion >= th["opinion"], average="macro")}
    pn = C.read_polnear(root, "dev")
    p = model.predict([r.text for r in pn])
    att = attribution_metrics(np.asarray([r.label for r in pn]), p.attribution, ("named", "vague", "none"))
    out.update({f"polnear_dev_{k}": v for k, v in att.items() if k in ("attributed_f1", "named_vs_vague_accuracy")})
    ours = [r for r in C.read_own() if r["doc"] in C.OWN_HELD_OUT] + [
        r for r in C.read_news_labels(root, "test") if r["corpus"] != "causal-news-corpus"]
    p = model.predict([" ".join(str(r["text"]).split()) for r in ours])
    y = np.asarray([r["causal"] for r in ours])
    out["ours_causal_f1"] = f1_score(y, p.causal >= th["causal"])
    out["decisions"] = p
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="output folder of rhetorix train --tier accurate")
    parser.add_argument("--bundle", type=Path, default=REPO / "models" / "accurate")
    parser.add_argument("--corpora")
    args = parser.parse_args(argv)
    root = C.find_corpora(args.corpora)
    bundle = load_bundle(args.bundle)
    model, _ = load_trained(args.run / "final")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, Path(tmp) / "model.onnx")
        manifest = {k: v for k, v in bundle.manifest.items() if k not in ("files", "format_version", "tier")}
        path = save_bundle(Path(tmp) / "fp32", None, bundle.lexicon, manifest, tier="accurate",
                           files={"model.onnx": fp32, "tokenizer.json": bundle.path / "tokenizer.json"})
        res = {"fp32": metrics(AccurateModel(load_bundle(path)), root),
               "int8": metrics(AccurateModel(bundle), root)}
        shutil.rmtree(path)
    a, b = res["fp32"].pop("decisions"), res["int8"].pop("decisions")
    res["agreement_ours"] = {
        "opinion": float(np.mean((a.opinion >= 0.5) == (b.opinion >= 0.5))),
        "causal": float(np.mean((a.causal >= 0.5) == (b.causal >= 0.5))),
        "attribution": float(np.mean(a.attribution.argmax(1) == b.attribution.argmax(1))),
        "max_abs_probability_change": float(max(np.abs(a.opinion - b.opinion).max(),
                                                np.abs(a.causal - b.causal).max())),
    }
    res["loss"] = {k: round(res["fp32"][k] - res["int8"][k], 4) for k in res["fp32"]}
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
