"""Labelled evaluation sets for name search and duplicate detection, and their measures.

Name data: the name table shipped inside the `arabic-name-romanizer` package (MIT licence,
© UNICEF and contributors). Its Arabic–Latin pairs and counts derive from Wikidata (CC0),
the Algerian Name Transcription Corpus (CC0) and the DziriNames benchmark (MIT); see the
package's THIRD_PARTY_NOTICES.md. Counts per country give how common a name is (the
Levant's for frequency: Syria, Lebanon, Palestine, Jordan, Iraq) and the Latin spellings
seen in Arab countries give its variants, weighted by how often each is seen. The file is
read in place, without importing the package (which would load its ONNX model); nothing
is fetched at run time. It is in the `test` dependency group, which `python3 dev.py test`
installs. This is benchmark and test code, not shipped in Corridor's wheel.

The data is real-world spelling, not this project's rules, so a set built from it measures
how the rules generalise. On top of it the generator adds what registration desks do to
names, by linguistic rule: article forms (al-/el-/Al /none), Abd compounds spaced, joined
or hyphenated, hamza and ta marbuta written or not, harakat and tatweel, typos, a few
nicknames, a dropped father's name, a year of birth off by one or two.

Everything is drawn from one `random.Random(seed)`: a seed always gives the same set.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from pathlib import Path

from corridor.matching.index import NameIndex
from corridor.matching.names import normalise, script
from corridor.matching.records import PersonRecord, Query

LEVANT = ("SY", "LB", "PS", "JO", "IQ")
# Latin spellings are taken from Arab countries whose registrars write Arabic names in
# English or French; Persian, Urdu and Somali conventions are another matter.
SPELLING_COUNTRIES = (*LEVANT, "EG", "SA", "AE", "KW", "QA", "BH", "OM", "YE", "SD", "LY",
                      "TN", "DZ", "MA", "MR")
ORIGINS = tuple(f"gp-{n:02d}" for n in range(1, 13))

# Female given names (normalised), to give identities a sex: the name table has none.
FEMALE = frozenset(normalise(n) for n in """
فاطمة مريم عائشة خديجة زينب نور هبة سارة ليلى آمنة ريم هدى أسماء رنا رغد سلمى سعاد حلا
دعاء بتول رشا رهف رزان ديما دانة لمى لينا لانا ياسمين يسرى منى نادية نجلاء نجوى هالة هيفاء
وفاء وعد سناء سوسن سهام سميرة سمر سماح رانيا رولا روان رحاب رقية رباب جميلة جمانة حنان حياة
خلود دلال زهرة زهراء سحر شيماء صفاء عبير عفاف علا غادة فرح فدوى كوثر لبنى لمياء ماجدة مها
ميساء ميس نسرين نهى نوال هناء هند إيمان آلاء أمل أميرة انتصار بشرى بيان تسنيم تهاني جنى
حليمة ختام دينا رجاء رحمة سلوى سهى شهد صباح ضحى عزة عبلة فريدة كريمة ليال مروة منال ميادة
ناديا نهلة هيا وداد يارا ماريا ماري جورجيت رنيم أماني إسراء آية مي غالية نعمت فايزة سوزان
ليلي نبيلة جميلة زكية لطيفة سعاد عفراء ثريا نزيهة فيروز أسمهان مي زياده كلثوم أم
""".split())
# Given names ending in ta marbuta or -aa' that are men's.
MALE_ENDINGS = frozenset(normalise(n) for n in """
حمزة أسامة طلحة عبيدة معاوية عطية قتيبة عكرمة حذيفة خليفة شحادة سلامة عودة جمعة علاء بهاء
ضياء زكرياء طه عروة ربيعة عنترة حمادة عبده
""".split())
# Familiar forms a registrar may write instead of the name (Syrian usage).
NICKNAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # name: (Arabic, Latin)
    "محمد": (("حمودي", "حمودة"), ("Hammoudi", "Hamoudeh")),
    "احمد": (("حمودي",), ("Hamoudi",)),
    "عبد الله": (("عبود",), ("Abboud", "Aboud")),
    "عبد الرحمن": (("عبود", "دحام"), ("Abboud", "Dahham")),
    "فاطمه": (("فطوم",), ("Fattoum",)),
    "خديجه": (("خدوج",), ("Khaddouj",)),
}


@dataclass(frozen=True, slots=True)
class Name:
    """One name as the data knows it: its Arabic form and Latin spellings."""

    arabic: str  # as in the table: hamza on alef, ta marbuta, alef maqsura folded
    latin: tuple[str, ...]
    weights: tuple[float, ...]  # how often each spelling is seen
    frequency: float
    form: str  # normalised, without spaces: one name however it is spaced


@dataclass(frozen=True, slots=True)
class Identity:
    number: int
    given: Name
    father: Name
    grandfather: Name | None
    family: Name
    sex: str
    birth_year: int
    origin: str
    namesake_of: int | None = None  # the identity this one was made to be confused with


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    query: Query
    expected: frozenset[str]  # person_ids of the person searched for
    hard_negatives: frozenset[str]  # person_ids of their namesakes
    strata: frozenset[str]  # same_script|cross_script, common|rare, namesake, partial


@dataclass(frozen=True, slots=True)
class EvaluationSet:
    seed: int
    records: tuple[PersonRecord, ...]
    queries: tuple[LabelledQuery, ...]
    duplicates: tuple[tuple[str, str], ...]  # two records of one identity
    namesakes: tuple[tuple[str, str], ...]  # records of different identities, alike on purpose
    identity_of: dict[str, int] = field(repr=False)

    @property
    def strata(self) -> frozenset[str]:
        return frozenset(s for q in self.queries for s in q.strata)


# --- the name data -----------------------------------------------------------------------


def name_table() -> Path:
    """The SQLite name table inside arabic-name-romanizer."""
    spec = importlib.util.find_spec("arabic_name_romanizer")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "evaluation sets need arabic-name-romanizer: pip install --group test")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "names.sqlite3"


_LATIN_NAME = re.compile(r"^[A-Za-zÀ-ÿ'’ -]{2,30}$")
_ARABIC_NAME = re.compile(r"^[\u0621-\u064a ]{2,20}$")


@cache
def names(role: str) -> tuple[Name, ...]:
    """Names of one role ("given" or "surname") with their spellings, most common first."""
    table: dict[str, dict[str, float]] = {}
    frequency: dict[str, float] = {}
    with sqlite3.connect(f"file:{name_table()}?mode=ro", uri=True) as db:
        rows = db.execute(
            f"SELECT arabic_key, latin, country, count FROM units WHERE role = ? AND country "
            f"IN ({','.join('?' * len(SPELLING_COUNTRIES))})", (role, *SPELLING_COUNTRIES))
        for arabic, latin, country, count in rows:
            if not _ARABIC_NAME.match(arabic) or not _LATIN_NAME.match(latin) or (
                    len(latin.split()) > len(arabic.split()) + 1):
                continue
            spellings = table.setdefault(arabic, {})
            spellings[latin] = spellings.get(latin, 0) + count
            frequency[arabic] = frequency.get(arabic, 0) + (
                count if country in LEVANT else count / 10)
    merged: dict[str, Name] = {}
    for arabic, spellings in table.items():
        top = max(spellings.values())
        kept = {s: c for s, c in spellings.items() if c >= max(2, top / 20)} or spellings
        one = normalise(arabic).replace(" ", "")  # عبد الله and عبدالله are one name
        if one in merged and merged[one].frequency >= frequency[arabic]:
            continue
        merged[one] = Name(arabic, tuple(kept), tuple(kept.values()), frequency[arabic], one)
    return tuple(sorted(merged.values(), key=lambda n: (-n.frequency, n.arabic)))


def _female(name: Name) -> bool:
    """Listed women's names, and one-word names ending in ta marbuta or -aa' that are not
    listed as men's (Hamza, Alaa)."""
    form = normalise(name.arabic)  # with its spaces: FEMALE and MALE_ENDINGS have none
    if form in FEMALE:
        return True
    return " " not in form and form not in MALE_ENDINGS and len(form) >= 4 and (
        form.endswith("ه") or form.endswith("اء"))


# --- spelling as a registrar writes it ---------------------------------------------------

_ARTICLE = re.compile(r"^(?:al|el|ul)[- ]?(?=[A-Za-z]{3})", re.IGNORECASE)
_ABD = re.compile(r"^abd[- ]?(?:[aeiou]l[- ]?|[aeiou](?P<sun>[^aeiou])(?=(?P=sun))|[aeiou])?"
                  r"[- ]?(?P<stem>[a-z]{3,})$", re.IGNORECASE)
_ARTICLE_STYLES = ("al-", "Al-", "Al ", "El-", "El ", "el-", "Al", "")
_ABD_STYLES = ("Abd al-{}", "Abdul {}", "Abdel {}", "Abdul-{}", "Abd El-{}", "Abd-el-{}",
               "Abdul{}", "Abdel{}", "Abdal{}")  # the last three join the name, in lower case
_ARABIC_CONFUSED = dict(zip("حهسصتطدضذزقكاي", "هحصسطتضدزذكقيا", strict=True))
_LATIN_CONFUSED = dict(zip("aeiousztdkqhy", "eieuozsdtqkyi", strict=True))
_HARAKAT = "\u064e\u064f\u0650\u0651\u0652"


class _Writer:
    """Spells names the way different registrars would."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def latin(self, name: Name, family: bool = False) -> str:
        rng = self.rng
        text = rng.choices(name.latin, name.weights)[0]
        if family and rng.random() < 0.5:
            bare = _ARTICLE.sub("", text)
            if bare != text or name.arabic.startswith("ال"):
                text = rng.choice(_ARTICLE_STYLES) + bare[:1].upper() + bare[1:]
        match = _ABD.match(text)
        if match and match["stem"].lower() not in ("lah", "llah", "lla") and rng.random() < 0.5:
            style = rng.choice(_ABD_STYLES)
            stem = match["stem"].lower()
            text = style.format(stem if style.endswith("l{}") else stem.capitalize())
        roll = rng.random()
        return text.upper() if roll < 0.15 else text.lower() if roll < 0.22 else text

    def arabic(self, name: Name, family: bool = False) -> str:
        rng = self.rng
        words = name.arabic.split()
        if family and words[0].startswith("ال") and rng.random() < 0.15:
            words[0] = words[0][2:]  # الحلبي written حلبي
        out = []
        for word in words:
            if word.endswith("ه") and len(word) > 2 and word != "الله" and rng.random() < 0.8:
                word = word[:-1] + "ة"
            if word.endswith("ي") and len(word) > 3 and rng.random() < 0.2:
                word = word[:-1] + "ى"
            stem = word[2:] if word.startswith("ال") else word
            if stem.startswith("ا") and rng.random() < 0.6:
                stem = rng.choice("أأإ") + stem[1:]
                word = word[: len(word) - len(stem)] + stem if word != stem else stem
            if rng.random() < 0.04:
                word = self.marks(word)
            out.append(word)
        if len(out) == 2 and out[0] in ("عبد", "ابو") and rng.random() < 0.35:
            return out[0] + out[1]
        return " ".join(out)

    def marks(self, word: str) -> str:
        """Harakat or a tatweel, as some keyboards and careful writers add."""
        at = self.rng.randrange(1, len(word)) if len(word) > 1 else 1
        mark = "ـ" if self.rng.random() < 0.4 else self.rng.choice(_HARAKAT)
        return word[:at] + mark + word[at:]

    def typo(self, text: str) -> str:
        """One slip of the hand: a letter lost, doubled, swapped or mistaken."""
        rng = self.rng
        if len(text) < 4:
            return text
        at = rng.randrange(1, len(text) - 1)
        if not text[at].isalpha():
            return text
        kind = rng.random()
        if kind < 0.3:
            return text[:at] + text[at + 1:]
        if kind < 0.5:
            return text[:at] + text[at] + text[at:]
        if kind < 0.7 and text[at + 1].isalpha():
            return text[:at] + text[at + 1] + text[at] + text[at + 2:]
        table = _ARABIC_CONFUSED if "\u0600" <= text[at] <= "\u06ff" else _LATIN_CONFUSED
        char = text[at].lower()
        swap = table.get(char, rng.choice(list(table.values())))
        return text[:at] + (swap.upper() if text[at].isupper() else swap) + text[at + 1:]

    def name(self, name: Name, arabic: bool, family: bool = False) -> str:
        return self.arabic(name, family) if arabic else self.latin(name, family)


# --- identities, records, queries ---------------------------------------------------------


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.writer = _Writer(self.rng)
        given = names("given")
        self.female = [n for n in given if _female(n)]
        self.male = [n for n in given if not _female(n)]
        self.family = list(names("surname"))
        self.cumulative = {id(pool): list(accumulate(n.frequency for n in pool))
                           for pool in (self.female, self.male, self.family)}
        # The most frequent names that together give half the draws are "common".
        self.common: set[str] = set()
        for pool in (self.female, self.male):
            total, running = sum(n.frequency for n in pool), 0.0
            for n in pool:
                if running >= total / 2:
                    break
                self.common.add(n.arabic)
                running += n.frequency

    def draw(self, pool: list[Name], unlike: Iterable[Name] = ()) -> Name:
        avoid = {n.form for n in unlike}
        while True:
            name = self.rng.choices(pool, cum_weights=self.cumulative[id(pool)])[0]
            if name.form not in avoid:
                return name

    def identity(self, number: int) -> Identity:
        rng = self.rng
        sex = "female" if rng.random() < 0.5 else "male"
        age = rng.choices(range(90), [100 - a for a in range(90)])[0]
        return Identity(
            number, self.draw(self.female if sex == "female" else self.male),
            self.draw(self.male), self.draw(self.male) if rng.random() < 0.6 else None,
            self.draw(self.family), sex, 2016 - age, rng.choice(ORIGINS))

    def namesake(self, number: int, of: Identity) -> Identity:
        """Same given and family name with another father, or same given and father's name
        with another family: a different person a careless match would take for `of`."""
        rng = self.rng
        born = of.birth_year + rng.randint(-3, 3)
        if rng.random() < 0.6:
            return Identity(number, of.given, self.draw(self.male, [of.father]), None,
                            of.family, of.sex, born, of.origin, of.number)
        return Identity(number, of.given, of.father, of.grandfather,
                        self.draw(self.family, [of.family]), of.sex, born, of.origin, of.number)

    def record(self, person: Identity, person_id: str) -> PersonRecord:
        rng, write = self.rng, self.writer
        arabic = rng.random() < 0.45
        given = person.given
        if given.arabic in NICKNAMES and rng.random() < 0.05:
            forms = NICKNAMES[given.arabic][0 if arabic else 1]
            given_text = rng.choice(forms)
        else:
            given_text = write.name(given, arabic)
        fields = [given_text, None, write.name(person.family, arabic, family=True)]
        if rng.random() < 0.8:
            father = write.name(person.father, arabic)
            if person.grandfather and rng.random() < 0.25:
                father += " " + write.name(person.grandfather, arabic)
            fields[1] = father
        if rng.random() < 0.12:
            at = rng.choice([n for n, text in enumerate(fields) if text])
            fields[at] = write.typo(fields[at] or "")
        roll = rng.random()
        year: int | None = person.birth_year + (
            0 if roll < 0.65 else rng.choice((-1, 1)) if roll < 0.85 else rng.choice((-2, 2)))
        if roll > 0.95:
            year = None
        roll = rng.random()
        origin = person.origin if roll < 0.85 else rng.choice(ORIGINS) if roll < 0.95 else None
        return PersonRecord(person_id, fields[0] or given_text, fields[1], fields[2],
                            person.sex if rng.random() < 0.95 else "unknown", year, origin)

    def query(self, person: Identity, confusable: bool) -> tuple[Query, bool, bool]:
        """A search for `person` as someone asking for them would type it; whether it is
        in Arabic script, and whether only the given name is known."""
        rng, write = self.rng, self.writer
        arabic = rng.random() < 0.5
        shapes = ("full", "given_family", "father_field", "given_father", "given_only")
        shape = rng.choices(shapes, (35, 35, 10, 5, 15))[0]
        if confusable:  # a namesake can only be told apart by the names that differ
            shape = rng.choice(("full", "father_field"))
        given, father = write.name(person.given, arabic), write.name(person.father, arabic)
        family = write.name(person.family, arabic, family=True)
        name = {"full": f"{given} {father} {family}", "given_family": f"{given} {family}",
                "father_field": f"{given} {family}", "given_father": f"{given} {father}",
                "given_only": given}[shape]
        if rng.random() < 0.05:
            name = write.typo(name)
        partial = shape == "given_only"
        born = person.birth_year + rng.choice((0, 0, 0, 1, -1, 2, -2)) if (
            partial or rng.random() < 0.85) else None
        return Query(
            name, sex=person.sex if partial or rng.random() < 0.5 else None, born=born,
            origin=person.origin if rng.random() < (0.6 if partial else 0.3) else None,
            father_name=father if shape == "father_field" else None), arabic, partial


def generate(seed: int, identities: int, queries: int = 1000,
             namesakes: float = 0.1) -> EvaluationSet:
    """An evaluation set of `identities` people, each registered twice independently
    (so 2 × identities records), a share of them `namesakes` of another, and up to
    `queries` searches with the person_ids they should find."""
    make = _Generator(seed)
    people: list[Identity] = []
    for number in range(identities):
        if people and make.rng.random() < namesakes:
            people.append(make.namesake(number, make.rng.choice(people)))
        else:
            people.append(make.identity(number))
    confused: dict[int, set[int]] = {}
    for person in people:
        if person.namesake_of is not None:
            confused.setdefault(person.number, set()).add(person.namesake_of)
            confused.setdefault(person.namesake_of, set()).add(person.number)
    records: list[PersonRecord] = []
    ids: dict[int, tuple[str, str]] = {}
    for person in people:
        pair = (f"e{person.number:07d}a", f"e{person.number:07d}b")
        ids[person.number] = pair
        records.extend(make.record(person, person_id) for person_id in pair)
    scripts = {r.person_id: script(r.given_name) == "arabic" for r in records}
    labelled = []
    for person in make.rng.sample(people, min(queries, len(people))):
        others = confused.get(person.number, set())
        query, arabic, partial = make.query(person, bool(others))
        expected = frozenset(ids[person.number])
        strata = {"same_script" if any(scripts[p] == arabic for p in expected)
                  else "cross_script",
                  "common" if person.given.arabic in make.common else "rare"}
        if others:
            strata.add("namesake")
        if partial:
            strata.add("partial")
        labelled.append(LabelledQuery(query, expected, frozenset(
            p for other in others for p in ids[other]), frozenset(strata)))
    return EvaluationSet(
        seed, tuple(records), tuple(labelled), tuple(ids[p.number] for p in people),
        tuple((ids[p.number][0], ids[o][0]) for p in people
              for o in sorted(confused.get(p.number, ())) if o > p.number),
        {p: n for n, pair in ids.items() for p in pair})


# --- measures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """How an index did on an evaluation set."""

    queries: int
    recall_at_1: float  # share of searches whose first result is the person
    recall_at_10: float  # ... who is among the first ten
    hard_negative_precision: float  # searches for a person with namesakes: of those whose
    # first result is the person or a namesake, the share where it is the person
    strata: dict[str, tuple[int, float, float]]  # stratum: (searches, recall@1, recall@10)
    p50_ms: float
    p99_ms: float


def evaluate(index: NameIndex, data: EvaluationSet,
             queries: Sequence[LabelledQuery] | None = None) -> Report:
    """Run the set's searches against `index` (which should hold `data.records`)."""
    asked = data.queries if queries is None else queries
    times: list[float] = []
    first: list[bool] = []
    top: list[bool] = []
    right = wrong = 0
    by_stratum: dict[str, list[tuple[bool, bool]]] = {}
    for labelled in asked:
        start = time.perf_counter()
        found = [m.person_id for m in index.search(labelled.query, 10)]
        times.append(time.perf_counter() - start)
        hit1 = bool(found) and found[0] in labelled.expected
        hit10 = any(p in labelled.expected for p in found)
        first.append(hit1)
        top.append(hit10)
        if labelled.hard_negatives and found:
            right += hit1
            wrong += found[0] in labelled.hard_negatives
        for stratum in labelled.strata:
            by_stratum.setdefault(stratum, []).append((hit1, hit10))
    times.sort()
    return Report(
        len(asked), share(first), share(top), right / (right + wrong) if right + wrong else 1.0,
        {s: (len(v), share([a for a, _ in v]), share([b for _, b in v]))
         for s, v in sorted(by_stratum.items())},
        1000 * statistics.median(times) if times else 0.0,
        1000 * times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0)


def share(flags: Sequence[bool]) -> float:
    """The share of true flags (0 when there are none)."""
    return sum(flags) / len(flags) if flags else 0.0
