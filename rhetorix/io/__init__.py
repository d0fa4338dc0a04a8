"""Reading and writing documents and scores: formats and suffix rules (:mod:`.formats`),
flat output rows (:mod:`.rows`), input readers (:mod:`.readers`) and output writers (:mod:`.writers`)."""
