"""Finding people across spellings and scripts: names, scoring, search, evaluation.

`names` turns a name in Arabic or Latin script into tokens and keys on which both scripts
meet; `records` scores a search (or another record) against a person record, with the
fields that agreed and disagreed; `index` searches a million records in memory;
`evaluation` builds labelled evaluation sets and measures an index on them.
"""

from corridor.matching.index import NameIndex
from corridor.matching.names import key, normalise, script, tokens
from corridor.matching.records import Match, PersonRecord, Query, pair_score, score

__all__ = [
    "Match", "NameIndex", "PersonRecord", "Query", "key", "normalise", "pair_score",
    "score", "script", "tokens",
]
