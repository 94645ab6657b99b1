"""Curated name knowledge that spelling rules cannot derive, written for this project.

Kept small on purpose: everything a rule can explain (vowels, doubled letters, articles,
hamza and alef forms, French or English digraphs) is left to the rules in `names.py`, so
that names nobody listed here still match. What remains is what no rule recovers:
abbreviations, nicknames, and words that merely look like an article plus a name.
"""

from __future__ import annotations

# Written abbreviations of one name (Syrian IDs and forms often shorten Muhammad).
ABBREVIATIONS: dict[str, str] = {
    "mhd": "muhammad", "mohd": "muhammad", "muhd": "muhammad", "mhmd": "muhammad",
    "mohmd": "muhammad", "mhmmd": "muhammad",
}

# Familiar forms used at registration desks; each may stand for several full names.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "hammoudi": ("muhammad", "ahmad", "mahmoud"), "hamoudi": ("muhammad", "ahmad", "mahmoud"),
    "hammoudeh": ("muhammad", "ahmad", "mahmoud"), "hamoudeh": ("muhammad", "ahmad", "mahmoud"),
    "حمودي": ("محمد", "احمد", "محمود"), "حموده": ("محمد", "احمد", "محمود"),
    "abboud": ("abdullah", "abdulrahman", "abdulkarim"),
    "aboud": ("abdullah", "abdulrahman", "abdulkarim"),
    "عبود": ("عبد الله", "عبد الرحمن", "عبد الكريم"),
    "fattoum": ("fatima",), "fatoum": ("fatima",), "فطوم": ("فاطمه",),
    "khaddouj": ("khadija",), "خدوج": ("خديجه",),
    "ayoush": ("aisha",), "عيوش": ("عايشه",),
}

# Names that begin like the article "al-"/"el-" but are not article + name.
NOT_ARTICLE_LATIN = frozenset({
    "alaa", "ala", "alia", "aliya", "aliyah", "alya", "alyaa", "alawi", "alwan", "alwani",
    "elias", "elyas", "elie", "elham", "elhan", "alma", "almas", "alan", "alam", "ali",
    "elissa", "eliane", "alain", "albert", "alex", "alexandre", "elena", "ella",
})
NOT_ARTICLE_ARABIC = frozenset({"الياس", "الهام", "الفت", "الماس", "الاء"})
