"""Sentence features: the numpy featurizer of the fast tier (:mod:`.featurize`) and its
scikit-learn transformers (:mod:`.transformers`, needs the ``train`` extra)."""
