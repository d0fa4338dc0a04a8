"""Model tiers behind one interface (:class:`.base.Model`): the numpy-only fast tier (:mod:`.fast`)."""
