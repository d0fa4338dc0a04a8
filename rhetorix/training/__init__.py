"""Training and evaluation (needs the ``train`` extra: scikit-learn and scipy).

:mod:`.corpora` reads the public corpora and our own sentences, :mod:`.fit`
trains the models of a bundle, :mod:`.evaluate` measures them against
baselines, :mod:`.calibration` holds the calibration measures and plots.
"""
