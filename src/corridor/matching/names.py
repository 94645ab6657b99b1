"""Personal names in Arabic and Latin script, reduced to keys on which both scripts meet.

A name is cleaned (`normalise`), cut into name tokens with articles and compounds joined
(`tokens`: "Abd al-Rahman" is one token), and each token reduced to a consonant skeleton
over letter classes (`key`): Arabic is first spelled out letter by letter in Latin (ث as
"th", ش as "sh", no short vowels), then both scripts go through the same rules, so that
محمد, Mohammed, Muhammad and Mhd all give "mhmd" and الحسن, al-Hassan, Alhasan and
El Hassan all give "hsn".

The skeleton drops vowels, which Arabic does not write, so it also merges Hassan and
Hussein. Tokens therefore keep their vowels as well (long ones only, for Arabic), and
`similarity` uses them to tell such names apart when both spellings say something.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from rapidfuzz.distance import OSA

from corridor.matching.variants import (
    ABBREVIATIONS,
    NICKNAMES,
    NOT_ARTICLE_ARABIC,
    NOT_ARTICLE_LATIN,
)

# --- normalise ----------------------------------------------------------------------------

# Letters NFKD leaves alone that still need folding; hamza seats (أ إ آ ؤ ئ) lose their
# combining hamza or madda under NFKD, like harakat and Latin accents do.
_FOLD = str.maketrans({
    "ٱ": "ا", "ة": "ه", "ى": "ي", "ک": "ك", "ی": "ي", "ھ": "ه", "ە": "ه", "ۀ": "ه",
    "ـ": None,  # tatweel
    "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th",
    # Turkish and Kurdish letters that spell sounds Latin otherwise writes with two
    "ş": "sh", "ç": "ch", "ğ": "gh",
})
# Ayn and hamza marks, apostrophes: an ayn written as "'" is as absent as one not written.
_MARKS = re.compile("['`´ʻʼʽʾʿ‘’′]")
# Arabizi, the chat alphabet: digits inside a Latin word stand for letters (Mo7amed, 3ali).
_ARABIZI = {"2": "", "3": "", "5": "kh", "6": "t", "7": "h", "8": "gh", "9": "s"}
_ARABIZI_DIGIT = re.compile(r"(?<=[a-z])[2356789]|[2356789](?=[a-z])")


def normalise(text: str) -> str:
    """Script-aware cleanup: compatibility forms, case, accents, harakat, tatweel, hamza
    and alef forms (أإآٱ→ا ؤ→و ئ→ي), ta marbuta (ة→ه), alef maqsura (ى→ي); anything that
    is not a letter separates words."""
    # Compatibility forms first (𝒩, ﻣ), so that case folding sees the plain letter; the
    # letters of _FOLD are still whole then (NFKD would take ş apart).
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _MARKS.sub("", text.translate(_FOLD))
    text = _ARABIZI_DIGIT.sub(lambda digit: _ARABIZI[digit[0]], text)
    # Invisible format characters (ZWNJ, direction marks) join; other non-letters separate.
    return " ".join("".join(c if c.isalpha() else "" if unicodedata.category(c) == "Cf"
                            else " " for c in text).split())


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f" or (
        "\u08a0" <= char <= "\u08ff") or "\ufb50" <= char <= "\ufdff" or (
        "\ufe70" <= char <= "\ufeff")


def _is_latin(char: str) -> bool:
    return char < "\u0250" or "\u1e00" <= char <= "\u1eff"


def script(text: str) -> str:
    """"arabic", "latin", "mixed" (letters of more than one script) or "other"."""
    seen = {"arabic" if _is_arabic(c) else "latin" if _is_latin(c) else "other"
            for c in text if c.isalpha()}
    if len(seen) > 1:
        return "mixed"
    return seen.pop() if seen else "other"


# --- tokens -------------------------------------------------------------------------------

_ARTICLES = frozenset({"al", "el", "ul", "il", "ال"})
# Sun-letter forms of the article are articles only before their own letter: "ar-Rahman".
_SUN_ARTICLES = {f"{v}{c}": c for v in "aeu" for c in ("d", "n", "r", "s", "sh", "t", "th",
                                                        "z", "dh")}
# Words that join the word after them into one name: Abd al-Rahman, Abu Bakr.
_PREFIXES = frozenset({"abd", "abdel", "abdul", "abdal", "abdol", "abdil", "abdu", "abdur",
                       "abder", "abdus", "abdes", "abden", "abdet", "abu", "abou", "عبد",
                       "ابو"})
# Words that join the word before them: Nour al-Din, Saad Allah.
_SUFFIXES = frozenset({"din", "deen", "dine", "eddin", "eddine", "uddin", "addin", "allah",
                       "ullah", "illah", "alla", "الدين", "الله"})
# "son of", "daughter of": they link a name to the father's, they are not names.
_LINKS = frozenset({"bin", "ibn", "ben", "bint", "bent", "بن", "ابن", "بنت"})


def _is_article(word: str, following: str | None) -> bool:
    if word in _ARTICLES:
        return following is not None
    sun = _SUN_ARTICLES.get(word)
    return sun is not None and following is not None and following.startswith(sun)


def tokens(text: str) -> list[str]:
    """Name tokens of `text`, normalised; an article, "Abd"/"Abu" or "al-Din"/"Allah" is
    joined with hyphens to the name it belongs to ("abd-al-rahman", "نور-الدين")."""
    words = normalise(text).split()
    out: list[list[str]] = []
    pending: list[str] = []  # articles and prefixes waiting for their name
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        if word in _LINKS and out and following is not None:
            continue
        if word in _SUFFIXES and out and not any(p in _PREFIXES for p in pending):
            out[-1].extend([*pending, word])
            pending = []
        elif following is not None and (word in _PREFIXES or _is_article(word, following)):
            pending.append(word)
        else:
            out.append([*pending, word])
            pending = []
    if pending:
        out.append(pending)
    return ["-".join(parts) for parts in out]


# --- keys ---------------------------------------------------------------------------------

# Arabic letters spelled in Latin for the shared rules; ع and ء leave no consonant (but
# a letter after them is not the word's first). Letters Latin writes with two are kept
# as one character here (see _ONE_LETTER): in Arabic, د followed by ه is two letters
# (ميادة, حمودة), never ذ.
_ROMAN = str.maketrans({
    "ا": "a", "ب": "b", "ت": "t", "ث": "θ", "ج": "j", "ح": "h", "خ": "χ", "د": "d",
    "ذ": "ð", "ر": "r", "ز": "z", "س": "s", "ش": "š", "ص": "s", "ض": "d", "ط": "t",
    "ظ": "z", "ع": "'", "غ": "ɣ", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m",
    "ن": "n", "ه": "h", "و": "w", "ي": "y", "ء": "'", "پ": "p", "چ": "j", "ژ": "j",
    "گ": "g", "ڤ": "v",
})
# Letter classes of the skeleton (one character each, so an edit is one letter).
_CONSONANT = {"b": "b", "p": "b", "t": "t", "d": "d", "s": "s", "z": "z", "j": "j",
              "g": "j", "h": "h", "r": "r", "f": "f", "v": "f", "k": "k", "q": "k",
              "l": "l", "m": "m", "n": "n", "w": "w", "y": "y"}
# Two letters for one sound, and how the two letters read when they are two sounds
# (Fathi is ف ت ح, not ف ث; Adham is ا د ه م): th ث→s, dh ذ→z, sh ش→c, kh خ→x, gh غ→g.
_DIGRAPHS: dict[str, tuple[str, str | None]] = {
    "th": ("s", "th"), "dh": ("z", "dh"), "sh": ("c", "sh"), "kh": ("x", "kh"),
    "gh": ("g", None), "ch": ("c", None), "zh": ("j", None), "dj": ("j", None),
    "ph": ("f", None), "ck": ("k", None),
}
# Those letters' classes, each with another reading Latin spellings give it: ث and ذ are
# said t and d in the Levant (Otman, Deeb).
_ONE_LETTER: dict[str, tuple[str, str | None]] = {
    "θ": ("s", "t"), "ð": ("z", "d"), "š": ("c", None), "χ": ("x", None), "ɣ": ("g", None)}
# Vowel classes of a gap between consonants, as bits; LONG marks a written long vowel,
# AYN a gap holding ع or ء, which Latin writes as a vowel, two, or nothing (Saad, Alaa).
_A, _I, _U, LONG, AYN = 1, 2, 4, 8, 16
_LATIN_VOWELS = {"a": _A, "e": _A | _I | _U, "i": _I, "o": _U, "u": _U, "y": _I, "w": _U}
# Two vowel letters usually write a long vowel, except "ou" in a first syllable, French
# for a short u (Moustafa, Youssef).
_DIPHTHONGS = {two: bits | LONG for two, bits in (
    ("ei", _I), ("ey", _I), ("ai", _I), ("ay", _I), ("ie", _I), ("ee", _I), ("ii", _I),
    ("oo", _U), ("uu", _U), ("aa", _A), ("ae", _A | _I), ("ea", _A | _I))} | {"ou": _U}
_ARABIC_VOWELS = {"a": _A, "w": _U, "y": _I}
_ABD = re.compile(r"^abd[aeiou](.)(.)")
_FUSED_DIN = re.compile(r"(?<=[a-z]{2})[aeiou]l(?=d(?:in|ine|een)$)")


def _parts(token: str) -> list[tuple[str, bool]]:
    """The name parts of one token, articles dropped, each with its script."""
    parts: list[tuple[str, bool]] = []
    for part in token.split("-"):
        arabic = any(_is_arabic(c) for c in part)
        if part in _ARTICLES or part in _SUN_ARTICLES:
            continue
        if arabic:
            if part.startswith("عبد") and len(part) >= 5:
                parts.append(("عبد", True))
                part = part[3:]
            for suffix in ("الدين", "الله"):
                if part.endswith(suffix) and len(part) > len(suffix) + 1:
                    parts.append((part[: -len(suffix)], True))
                    part = suffix
            if part.startswith("ال") and len(part) >= 4 and part not in NOT_ARTICLE_ARABIC:
                part = part[2:]
        elif part in _PREFIXES:
            part = part[:3]  # abdul, abdel, abou: the same Abd and Abu
        else:
            part = ABBREVIATIONS.get(part, part)
            if (match := _ABD.match(part)) and len(part) > 5:
                # Abdulrahman, Abdurrahman (the article's l taken by a sun letter),
                # Abdirahman: Abd, a linking vowel, perhaps the article, then the name.
                second, third = match.groups()
                rest = part[4:] if second != "l" and second != third else part[5:]
                if len(rest) >= 2:
                    parts.append(("abd", False))
                    part = rest
            part = _FUSED_DIN.sub("", part)
            if part[:2] in ("al", "el") and len(part) >= 5 and part not in NOT_ARTICLE_LATIN:
                part = part[2:]
        parts.append((part, arabic))
    return parts


def _units(part: str, arabic: bool) -> tuple[list[tuple[str, str | None]], list[int]]:
    """Consonant classes of one part (each with its two-letter reading, if it has one)
    and the vowel gaps around them: len(gaps) == len(consonants) + 1."""
    if arabic:
        part = part.translate(_ROMAN)
    else:
        # Hassan, Mohammed: a doubled consonant is one letter (a doubled vowel is long).
        part = re.sub(r"([^aeiou])\1+", r"\1", part)
        if part.startswith("ou") and part[2:3] in ("a", "e", "i"):
            part = "w" + part[2:]  # French Ouassim, Oualid
    consonants: list[tuple[str, str | None]] = []
    gaps = [0]
    i = 0
    while i < len(part):
        char = part[i]
        vowels = _ARABIC_VOWELS if arabic else _LATIN_VOWELS
        if char in vowels and not (i == 0 and char in "wy"):
            two = part[i:i + 2]
            if not arabic and two in _DIPHTHONGS:
                gaps[-1] |= _DIPHTHONGS[two]
                if two == "ou" and len(consonants) >= 2:
                    gaps[-1] |= LONG  # past the first syllable, ou is و: Mahmoud, Mansour
                i += 2
                continue
            if arabic:
                bits = vowels[char] | LONG
                if i == 0:
                    bits = _A | _I | _U  # an initial alef carries any short vowel
                elif i == len(part) - 1 and char == "y":
                    bits |= _A  # final ي may have been ى: Mustafa, Layla
            else:
                bits = vowels[char] | (gaps[-1] & 7 and LONG)
            gaps[-1] |= bits
            i += 1
            continue
        two = part[i:i + 2]
        if char == "'":
            gaps[-1] |= AYN
            i += 1
            continue
        if arabic and char in _ONE_LETTER:
            consonants.append(_ONE_LETTER[char])
            i += 1
        elif not arabic and two in _DIGRAPHS:
            sound, reading = _DIGRAPHS[two]
            # Latin ends a word on a digraph only as one sound (Darwish, Ayyash).
            consonants.append((sound, reading if i + 2 < len(part) else None))
            i += 2
        else:
            if char == "c":
                consonants.append(("s" if part[i + 1:i + 2] in ("e", "i", "y") else "k", None))
            elif char == "x":  # Kurdish (Kurmanji) spelling, as in Syria: x is خ
                consonants.append(("x", None))
            elif char == "g" and not arabic:  # Gamal (ج) in Egypt, Garni (ق) in the Gulf
                consonants.append(("j", "q"))
            elif char in _CONSONANT:
                consonants.append((_CONSONANT[char], None))
            else:
                i += 1
                continue
            i += 1
        gaps.append(0)
    return consonants, gaps


@dataclass(frozen=True, slots=True, eq=False)
class Token:
    """One analysed name token: its normalised text, script, key and readings."""

    text: str
    arabic: bool
    key: str
    keys: tuple[str, ...]  # the key first, then other readings and nicknames' keys
    gaps: tuple[int, ...]  # vowel classes before, between and after the key's letters


def _skeleton(classes: list[str]) -> str:
    """Classes to key: a final h is dropped (ة, and Latin's silent final h: Fatimah)."""
    if classes and classes[-1] == "h":
        classes = classes[:-1]
    return "".join(classes)


def _readings(token: str) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    """The key, every reading's key, and the vowel gaps of the key's letters."""
    units: list[tuple[str, str | None]] = []
    gaps = [0]
    for part, arabic in _parts(token):
        part_units, part_gaps = _units(part, arabic)
        units.extend(part_units)
        gaps[-1] |= part_gaps[0]
        gaps.extend(part_gaps[1:])
    if units and units[-1][0] == "h":
        after = gaps.pop()  # the key drops a final h: its gap joins the one before
        gaps[-1] |= after
    key = _skeleton([c for c, _ in units])
    ambiguous = [n for n, (_, reading) in enumerate(units) if reading][:2]
    readings = [key]
    for choice in product((False, True), repeat=len(ambiguous)):
        classes = [c for c, _ in units]
        for n, split in sorted(zip(ambiguous, choice, strict=True), reverse=True):
            reading = units[n][1]
            if split and reading:
                classes[n:n + 1] = [_CONSONANT[c] for c in reading]
        if (alternative := _skeleton(classes)) not in readings:
            readings.append(alternative)
    return key, tuple(readings), tuple(gaps)


@lru_cache(maxsize=1 << 17)
def analyse(token: str) -> Token:
    """The analysis of one token as `tokens` returns it."""
    key, readings, gaps = _readings(token)
    if not key:  # vowels and glides only (Awiwi, عويوي): the w glides must do
        key = "w" * token.translate(_ROMAN).count("w") or "_"
        readings = (key,)
    nicknames = NICKNAMES.get(token, ())
    aliases = tuple(k for name in nicknames for k in analyse(tokens(name)[0]).keys[:1])
    arabic = any(_is_arabic(c) for c in token)
    return Token(token, arabic, key, tuple(dict.fromkeys(readings + aliases)), gaps)


def key(token: str) -> str:
    """Script-independent comparison key of one name token: the same for its Arabic and
    Latin spellings ("الرحمن", "Rahman", "al-Rahman" → "rhmn")."""
    return analyse(normalise(token).replace(" ", "-")).key


def deletions(key: str) -> list[str]:
    """The key less any one of its letters, for keys of three letters or more: two keys
    an edit apart share the key itself or one of these (SymSpell's deletions)."""
    return list(dict.fromkeys(key[:i] + key[i + 1:] for i in range(len(key)))) if (
        len(key) >= 3) else []


# --- similarity ---------------------------------------------------------------------------


def _vowels_agree(a: Token, b: Token) -> float:
    """How far the vowels of two tokens with one key agree, in [0, 1]: Arabic writes only
    long vowels, so its silence agrees with any short Latin vowel."""
    penalty = 0.0
    for x, y in zip(a.gaps, b.gaps, strict=True):
        cx, cy = x & 7, y & 7
        if not cx and not cy:
            continue
        if a.arabic and b.arabic:
            penalty += 0 if cx == cy else 2
        elif a.arabic or b.arabic:
            written, latin = (x, y) if a.arabic else (y, x)
            if written & AYN:
                continue
            if written & 7:
                # Latin e stands for any short vowel, never for و (Mohammed is not محمود).
                apart = not written & latin & 7 or (latin & 7 == _A | _I | _U
                                                    and written & 7 == _U)
                penalty += 1.5 if apart else 0
            elif latin & LONG:
                penalty += 1.5  # a long vowel Arabic would write: Mahmoud is not محمد
        elif cx and cy:
            penalty += 0 if cx & cy else (1.5 if (x | y) & LONG else 1)
        else:
            penalty += 0.5 if (x | y) & LONG else 0.25
    return max(0.0, 1 - penalty / 2)


_similarities: dict[tuple[str, str], float] = {}


def similarity(a: Token, b: Token) -> float:
    """How alike two name tokens are, in [0, 1], across scripts: 1 for one spelling,
    ≥ 0.8 for variant spellings of one name, lower for different names."""
    if a.text == b.text:
        return 1.0
    pair = (a.text, b.text)
    if (cached := _similarities.get(pair)) is not None:
        return cached
    if a.key == b.key and len(a.gaps) == len(b.gaps):
        # Different vowels make another name (Hassan, Hussein) or a slip: undecided.
        value = max(0.7, 0.6 + 0.4 * _vowels_agree(a, b))
    elif set(a.keys) & set(b.keys):
        value = 0.85  # another reading of a digraph, or a nickname
    else:
        # One letter apart in three or more is a typo as often as another name: undecided.
        # Further apart, or in a short skeleton (Obeidi and Qudwa are bd and kd), a
        # different name.
        apart = [(OSA.distance(x, y), max(len(x), len(y)))
                 for x in a.keys[:4] for y in b.keys[:4]]
        value = 0.75 if any(d == 1 and n >= 3 for d, n in apart) else min(
            0.65, 0.9 * max(1 - d / n for d, n in apart))
    if a.arabic == b.arabic:  # a typo in one spelling is clearer in the letters themselves
        value = max(value, 0.95 * OSA.normalized_similarity(a.text, b.text))
    if len(_similarities) > 1 << 18:
        _similarities.clear()
    _similarities[pair] = value
    return value
