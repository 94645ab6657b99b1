"""Finding people across spellings and scripts: names, scoring, search, duplicates.

`names` turns a name in Arabic or Latin script into tokens and keys on which both scripts
meet; `records` scores a search (or another record) against a person record, with the
fields that agreed and disagreed; `index` searches a million records in memory;
`dedupe` finds duplicates over a whole operation and `batch` does it with Splink, both
with the `batch` extra (`extras`). Labelled evaluation sets are benchmark code, in
`bench.matching.evaluation`.

Packages: at run time only rapidfuzz (MIT), for edit distances; the spelling rules and
the few curated variants (`variants`) are this project's own. Evaluation sets are built
from the name table inside arabic-name-romanizer (MIT; data from Wikidata, CC0, and
Algerian name corpora, CC0 and MIT), installed with the `test` dependency group and never
fetched at run time. names-dataset was not used: its name lists were extracted from the
2021 Facebook leak of 533 million accounts (its own README says so), which a system
recording vulnerable people should not build on, its licence is given as MIT in its
metadata and Apache-2.0 in its LICENSE file, and it needs 3.2 GB of memory to load.
"""

from corridor.matching.index import NameIndex
from corridor.matching.names import key, normalise, script, tokens
from corridor.matching.records import Match, PersonRecord, Query, pair_score, score

__all__ = [
    "Match", "NameIndex", "PersonRecord", "Query", "key", "normalise", "pair_score",
    "score", "script", "tokens",
]
