"""Batch duplicate detection over a whole operation, with Splink.

`NameIndex` answers one query at a time; here every record of an operation is compared
with every plausible other in one pass, to find people registered twice (an Arabic form
filled at one crossing, a Latin one at the next). `corridor.matching.dedupe` does that
with Corridor's own scorer on one machine; this module is the same job for Splink, whose
Spark backend takes registries beyond one machine. Splink does the work: blocking to
bound the pairs, a Fellegi-Sunter model trained without labels (u by random sampling,
m by expectation maximisation), then scoring.

Arabic and Latin spellings can only agree if they are compared on something that does
not depend on the script: each name is reduced to `corridor.matching.names.key` per
token, and it is those keys that Splink blocks and compares on. The normalised forms
ride along for people reading the output, not for scoring.

Backends
--------
DuckDB (the default) runs in process and needs nothing installed but the `splink`
package. Spark is for operations too large for one machine's memory::

    from corridor.matching.batch import find_duplicates, local_spark_session

    spark = local_spark_session()          # or a cluster session with Splink's jar
    pairs = find_duplicates(records, backend="spark", spark=spark)

A cluster session must load Splink's similarity UDF jar (`spark.jars`, path from
`splink.internals.spark.jar_location.similarity_jar_location()`), as
`local_spark_session` does: Jaro-Winkler runs as a Scala UDF there. pyspark needs a
Java runtime (17 or later for Spark 4). The same model is trained in both backends with
the same seeds; floating-point sums in a different order can move a probability in its
last digits, so a pair right at the threshold may fall on either side.

Nothing is fetched from the network: Splink's jar ships inside the wheel.

Splink comes with the `batch` extra, pyspark with `spark` (see `extras`); both are
imported only when used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from corridor.matching.dedupe import DuplicatePair
from corridor.matching.names import key, normalise, tokens
from corridor.matching.records import PersonRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink import Linker

#: Match probability above which a pair is reported. Chosen on the generator's labelled
#: pairs (40,000 records): F1 is flat from 0.5 to 0.8 (0.88) and falls above it, recall
#: first; 0.8 is the end of the plateau that leans to precision. Reviewers see the
#: probability and decide.
DEFAULT_THRESHOLD = 0.8
#: Years either side that still count as "the same birth year" (ages are often guessed).
BIRTH_YEAR_TOLERANCE = 2
SEED = 2016  # fixed so that two runs over the same records train the same model
U_PAIRS = 2e6  # pairs sampled for u: enough for stable estimates, seconds at a million
MAX_ITERATIONS = 20
#: Share of true duplicates whose given, father's or family names differ beyond a
#: spelling: set, not learnt (see `_differs`). A different father's name costs ~17 bits,
#: more than agreement on given and family name earns: namesakes are told apart by it.
#: Given names are less sure (nicknames: Hammoudi for Muhammad), family names a little
#: less (articles and compounds written in ways the key does not undo).
NAME_DIFFERS = {"given": 1e-3, "father": 1e-5, "family": 1e-4}


def find_duplicates(records: Iterable[PersonRecord], backend: str = "duckdb",
                    threshold: float = DEFAULT_THRESHOLD, spark: SparkSession | None = None,
                    model: dict[str, Any] | None = None) -> list[DuplicatePair]:
    """Pairs of records that are probably the same person, most probable first.

    backend: "duckdb" (in process) or "spark" (then `spark` is the session to use).
    model: a model from `train_model` to score with instead of training one on `records`
    (to score several batches alike, or train on one engine and score on another).
    """
    rows = prepare(records)
    if len(rows) < 2:
        return []
    linker = _linker(rows, backend, spark, model)
    if model is None:
        train(linker)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = [_pair(row) for row in predictions.as_record_list()]
    return sorted(pairs, key=lambda p: (-p.probability, p.a, p.b))


def train_model(records: Iterable[PersonRecord], backend: str = "duckdb",
                spark: SparkSession | None = None) -> dict[str, Any]:
    """The model `find_duplicates` would train on `records`, as Splink's JSON settings."""
    linker = _linker(prepare(records), backend, spark, None)
    train(linker)
    return linker.misc.save_model_to_json()


def prepare(records: Iterable[PersonRecord]) -> list[dict[str, Any]]:
    """One row per record with the script-independent keys Splink blocks and compares on."""
    keys: dict[str | None, tuple[str | None, ...]] = {}
    return [_row(record, keys) for record in records]


def _row(record: PersonRecord, keys: dict[str | None, tuple[str | None, ...]]) -> dict[str, Any]:
    given, father, family = (_analysed(name, keys) for name in
                             (record.given_name, record.father_name, record.family_name))
    return {
        "unique_id": record.person_id,
        # The first token: a second given name or a grandfather's name written after the
        # father's ("Mohamed Salah") would otherwise keep two spellings of one man apart.
        "given_key": given[0], "father_key": father[0],
        # All tokens, run together: "Abo Elwafa" and "Abu al-Wafa" are one family name
        # whether or not the article was joined to it.
        "family_key": family[1],
        "given_norm": given[2], "father_norm": father[2], "family_norm": family[2],
        "birth_year": record.birth_year,
        # A plain str: Spark infers the schema from the values, and loops on a StrEnum.
        "sex": str(record.sex) if record.sex in ("female", "male") else None,
        "origin": record.origin.strip().casefold() or None if record.origin else None,
    }


def _analysed(name: str | None, seen: dict[str | None, tuple[str | None, ...]],
              ) -> tuple[str | None, ...]:
    """(key of the first token, keys of all tokens run together, normalised form),
    memoised: the same few thousand names make up most of a million records."""
    found = seen.get(name)
    if found is None:
        parts = [key(token) for token in tokens(name)] if name else []
        found = seen[name] = ((parts[0], "".join(parts), normalise(name or ""))
                              if parts else (None, None, None))
    return found


def _linker(rows: list[dict[str, Any]], backend: str, spark: SparkSession | None,
            model: dict[str, Any] | None) -> Linker:
    from splink import Linker

    db_api = _db_api(backend, spark)
    table = db_api.register(rows)
    model_settings: Any = settings()
    if model is not None:
        model_settings = _trained(model_settings.create_settings_dict(
            db_api.sql_dialect.sql_dialect_str), model)
    # Splink logs every step, and warns of levels a small operation never sees (two
    # names a Jaro-Winkler apart); a batch job's caller has its own progress display.
    return Linker(table, model_settings, log_level=logging.ERROR)


def _trained(fresh: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """`fresh` settings (SQL in the target engine's dialect) with the parameters of
    `model`, which may have been trained on another engine: a saved model's SQL is in
    the dialect it was trained in (DuckDB's jaro_winkler_similarity is Spark's
    jaro_winkler), but its m and u values are the same anywhere."""
    fresh["probability_two_random_records_match"] = model[
        "probability_two_random_records_match"]
    for comparison, trained in zip(fresh["comparisons"], model["comparisons"], strict=True):
        for level, values in zip(comparison["comparison_levels"],
                                 trained["comparison_levels"], strict=True):
            for parameter in ("m_probability", "u_probability"):
                if parameter in values:
                    level[parameter] = values[parameter]
    return fresh


def _db_api(backend: str, spark: SparkSession | None) -> Any:
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if backend == "spark":
        from splink import SparkAPI

        if spark is None:
            raise ValueError("backend='spark' needs a SparkSession (see local_spark_session)")
        # "persist" keeps intermediate tables in the executors' memory instead of
        # Splink's default of parquet under a checkpoint directory the caller must set.
        # Splink 5 leaves SparkAPI.__init__ unannotated (the only such call here).
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark, break_lineage_method="persist",
            num_partitions_on_repartition=spark.sparkContext.defaultParallelism)
    raise ValueError(f"unknown backend {backend!r}: use 'duckdb' or 'spark'")


def settings() -> Any:
    """The model: what is compared, how, and which pairs are compared at all."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            _name_comparison("given"), _name_comparison("father"),
            _name_comparison("family"), _birth_year_comparison(),
            cl.ExactMatch("sex"), cl.ExactMatch("origin"),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=False,
        max_iterations=MAX_ITERATIONS,
    )


def blocking_rules() -> list[Any]:
    """Which pairs are scored: those agreeing on two of the three name keys, born no
    further apart than two records of one person can be (each may be off by the
    tolerance), or with a year missing. Two names alone would pair every Muhammad
    al-Hassan with every other: at a million records the pairs grow with the square of
    a common name's count."""
    near = BIRTH_YEAR_TOLERANCE * 2
    years = (f"(abs(l.birth_year - r.birth_year) <= {near} OR l.birth_year IS NULL "
             f"OR r.birth_year IS NULL)")
    return [f"l.{one} = r.{one} AND l.{two} = r.{two} AND {years}" for one, two in (
        ("given_key", "family_key"), ("father_key", "family_key"),
        ("given_key", "father_key"))]


def _name_comparison(part: str) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    column = f"{part}_key"
    return cl.CustomComparison(
        output_column_name=part,
        comparison_levels=[
            cll.NullLevel(column),
            # One spelling in one script says more than one key: the key merges names
            # that differ only in vowels (Hassan, Hussein).
            cll.ExactMatchLevel(f"{part}_norm"),
            cll.ExactMatchLevel(column),
            # One letter apart in a consonant skeleton is a spelling variant or a typo
            # more often than another name (Jaro-Winkler says little about keys of two
            # or three letters: hfd/hfj score 0.82).
            cll.DamerauLevenshteinLevel(column, 1),
            cll.JaroWinklerLevel(column, 0.88),
            _differs(part),
        ],
    )


def _differs(part: str) -> Any:
    """Plain disagreement, with its m fixed, not learnt. EM, unlabelled, takes namesakes
    (same given and family name, same place, same age, another father) and siblings
    (same father and family name) for duplicates, and would learn that a different name
    is common among duplicates. It is not: people know their own and their father's
    names, and two registrations of one person differ by a typo, which the key and
    Jaro-Winkler levels mostly absorb."""
    import splink.comparison_level_library as cll

    return cll.ElseLevel().configure(m_probability=NAME_DIFFERS[part], fix_m_probability=True)


def _birth_year_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="birth_year",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_year"),
            cll.AbsoluteDifferenceLevel("birth_year", 1),
            cll.AbsoluteDifferenceLevel("birth_year", BIRTH_YEAR_TOLERANCE),
            cll.AbsoluteDifferenceLevel("birth_year", BIRTH_YEAR_TOLERANCE * 2),
            cll.ElseLevel(),
        ],
    )


def train(linker: Linker) -> None:
    """Unsupervised and deterministic: the prior from exact agreement on all three keys,
    u from a seeded random sample of pairs, m by EM in two sessions so that every
    comparison is estimated in one of them (a session cannot learn what it blocks on).
    Each session blocks on a third field besides its two, which it leaves to the other:
    father's name and year alone make blocks of every son of Muhammad born in 1990,
    two minutes of EM at a million records for no better estimates."""
    from splink import block_on

    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given_key", "father_key", "family_key")], recall=0.6)
    training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    training.estimate_parameters_using_expectation_maximisation(
        block_on("given_key", "family_key", "origin"))
    training.estimate_parameters_using_expectation_maximisation(
        block_on("father_key", "birth_year", "sex"))


def _pair(row: dict[str, Any]) -> DuplicatePair:
    a, b = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
    agreed, disagreed = _evidence(row)
    return DuplicatePair(a, b, float(row["match_probability"]), agreed, disagreed)


# Comparison → (field name as Match reports it, lowest level that counts as agreement).
# Levels count up from 0 (else) to the exact ones; -1 is a missing value.
_AGREEMENT = {"given": ("given_name", 3), "father": ("father_name", 3),
              "family": ("family_name", 3), "birth_year": ("birth_year", 2),
              "sex": ("sex", 1), "origin": ("origin", 1)}


def _evidence(row: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fields that agreed (names: same key; years: within the tolerance) and fields in
    plain disagreement; close-but-not-equal levels and missing values are neither."""
    agreed, disagreed = [], []
    for column, (field, lowest) in _AGREEMENT.items():
        gamma = row[f"gamma_{column}"]
        if gamma >= lowest:
            agreed.append(field)
        elif gamma == 0:
            disagreed.append(field)
    return tuple(agreed), tuple(disagreed)


def local_spark_session(cores: int = 2) -> SparkSession:
    """A Spark session on this machine, configured for Splink and small enough to start
    in a few seconds: no UI, few shuffle partitions, loopback only."""
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    # Spark otherwise binds to the first non-loopback interface it finds.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master(f"local[{cores}]").appName("corridor-matching")
               .config("spark.jars", similarity_jar_location())
               .config("spark.sql.shuffle.partitions", str(cores))
               .config("spark.default.parallelism", str(cores))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session

