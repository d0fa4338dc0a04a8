"""Experiment: fine-tune the accurate tier's encoder on the persuasion techniques, one grouped fold.

    python tools/technique_finetune.py RUN/final [--epochs 3] [--fold 0] [--out DIR]

Not part of the library (docs/experiments.md, PT7): it asks how far the sentence-level
technique F1 moves when the encoder itself learns the techniques, instead of linear heads
on its frozen states.  The teacher extra (torch, transformers) is needed; RUN/final is a
``rhetorix train --tier accurate`` run's final model (its encoder is the starting point).

Protocol: the articles of SemEval PTC are split by ``GroupKFold(5)`` as in
``rhetorix evaluate --task techniques``; fold ``--fold`` is the test part.  A tenth of
the training articles (every tenth article in sorted order) is held back to choose each
technique's threshold (F1); the model trains on the rest: mean-pooled last-layer state,
one linear output per technique, binary cross-entropy with positive weights
sqrt(negatives / positives), AdamW (encoder 5e-5, head 1e-3), linear warm-up 6 %, batch
32 of length-sorted sentences.  TF-IDF + LR (balanced, C = 1) is run on the same parts
with the same threshold procedure for comparison.  Prints micro/macro F1 and F1 per
technique on the test articles.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a teacher run's final model folder (model.pt, config.json, encoder/)")
    parser.add_argument("--corpora", default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    args = parser.parse_args(argv)

    import torch
    from sklearn.model_selection import GroupKFold

    from rhetorix.training.corpora import find_corpora
    from rhetorix.training.fit import tfidf_features
    from rhetorix.training.teacher import load_tokenizer, load_trained
    from rhetorix.training.techniques import TECHNIQUES, _fit_block, _scores, _sigmoid, read_ptc
    from rhetorix.training.thresholds import best_threshold

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = read_ptc(find_corpora(args.corpora))
    Y = data.labels.astype(np.float32)
    tr, te = list(GroupKFold(5).split(np.zeros(len(Y)), groups=data.groups))[args.fold]
    articles = sorted(set(data.groups[tr].tolist()))
    held = set(articles[::10])
    val = np.asarray([i for i in tr if data.groups[i] in held])
    fit = np.asarray([i for i in tr if data.groups[i] not in held])
    print(f"fit {len(fit)}, threshold {len(val)}, test {len(te)} sentences", flush=True)

    def report(name, p_val, p_test):
        th = np.asarray([best_threshold(Y[val, j], p_val[:, j])[0] for j in range(len(TECHNIQUES))])
        res = _scores(data.labels[te], p_test >= th, TECHNIQUES)
        print(f"{name}: micro {res['micro_f1']:.3f} macro {res['macro_f1']:.3f} " + ", ".join(
            f"{n} {v['f1']:.3f}" for n, v in res["per_technique"].items()), flush=True)
        return res

    results = {}
    f = tfidf_features()
    Xf = f.fit_transform([data.texts[i] for i in fit])
    Xv, Xt = f.transform([data.texts[i] for i in val]), f.transform([data.texts[i] for i in te])
    coef, b = _fit_block(Xf, data.labels[fit], 1.0, False)
    results["tfidf_lr"] = report("tfidf_lr", _sigmoid(Xv @ coef.T + b), _sigmoid(Xt @ coef.T + b))

    teacher, cfg = load_trained(args.run)
    encoder = teacher.encoder
    head = torch.nn.Linear(encoder.config.hidden_size, len(TECHNIQUES))
    tok = load_tokenizer(args.run / "bundle" / "tokenizer.json", cfg.max_length)
    enc = {i: e.ids[:cfg.max_length] for i, e in zip(range(len(data.texts)), tok.encode_batch(data.texts))}
    pos = Y[fit].sum(axis=0)
    pos_weight = torch.tensor(np.sqrt((len(fit) - pos) / np.maximum(pos, 1.0)), dtype=torch.float32)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    opt = torch.optim.AdamW([{"params": encoder.parameters(), "lr": 5e-5},
                             {"params": head.parameters(), "lr": 1e-3}], weight_decay=0.01)
    rng = np.random.default_rng(0)
    batch = 32
    steps = args.epochs * math.ceil(len(fit) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / max(1, 0.06 * steps))
                                              * max(0.0, (steps - s) / steps))

    def tensors(rows):
        n = max(len(enc[i]) for i in rows)
        ids = torch.zeros((len(rows), n), dtype=torch.long)
        mask = torch.zeros((len(rows), n), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, :len(enc[i])] = torch.tensor(enc[i])
            mask[r, :len(enc[i])] = 1
        return ids, mask

    def forward(rows):
        ids, mask = tensors(rows)
        h = encoder(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        return head((h * m).sum(1) / m.sum(1).clamp(min=1.0))

    t0 = time.time()
    step = 0
    for epoch in range(args.epochs):
        encoder.train()
        order = fit[np.argsort([len(enc[i]) + rng.random() * 8 for i in fit])]
        chunks = [order[k:k + batch] for k in range(0, len(order), batch)]
        rng.shuffle(chunks)
        for rows in chunks:
            loss = loss_fn(forward(rows), torch.tensor(Y[rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)",
                      flush=True)

    encoder.eval()

    def predict(rows):
        out = []
        with torch.no_grad():
            srt = rows[np.argsort([len(enc[i]) for i in rows])]
            for k in range(0, len(srt), 64):
                out.append(torch.sigmoid(forward(srt[k:k + 64])).numpy())
        p = np.zeros((len(rows), len(TECHNIQUES)))
        p[np.argsort([len(enc[i]) for i in rows])] = np.vstack(out)
        return p

    results["finetuned"] = report("finetuned", predict(val), predict(te))
    results["seconds"] = round(time.time() - t0)
    print(f"trained and scored in {results['seconds']} s", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
