"""Text to spans with character offsets: sentences (:mod:`.segment`) and word tokens (:mod:`.tokens`)."""
