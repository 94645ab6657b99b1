"""Name analysis: Arabic and Latin spellings of one name meet on their keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.matching import key, normalise, script, tokens
from corridor.matching.names import analyse, similarity
from corridor.matching.records import AGREE


def keys(name: str) -> list[str]:
    return [key(token) for token in tokens(name)]


def alike(a: str, b: str) -> float:
    return similarity(analyse(tokens(a)[0]), analyse(tokens(b)[0]))


def test_normalise_folds_harakat_tatweel_hamza_and_letter_forms() -> None:
    assert normalise("مُحَمَّـــد") == "محمد"
    assert normalise("أحمد إبراهيم آمنة ٱلله") == "احمد ابراهيم امنه الله"
    assert normalise("مؤمن رئيس مصطفى فاطمة") == "مومن رييس مصطفي فاطمه"
    assert normalise("  MOHAMMED  Al-Hassan ") == "mohammed al hassan"
    assert normalise("Maïssa Çelik Şahin Sa'id") == "maissa chelik shahin said"
    assert normalise("ﻣﺤﻤﺪ") == "محمد"  # presentation forms, as some old keyboards type
    assert normalise("Mo7amed 3ali, 2016") == "mohamed ali"  # Arabizi; a number separates


def test_script() -> None:
    assert script("محمد الحسن") == "arabic"
    assert script("Mohammed al-Hassan") == "latin"
    assert script("Mohammed الحسن") == "mixed"
    assert script("Мухаммед") == "other"
    assert script("123") == "other"


def test_tokens_join_articles_and_compounds() -> None:
    assert tokens("Abd al-Rahman") == ["abd-al-rahman"]
    assert tokens("Abdel Rahman Mohammed") == ["abdel-rahman", "mohammed"]
    assert tokens("عبد الرحمن الحسن") == ["عبد-الرحمن", "الحسن"]
    assert tokens("Nour al-Din ash-Shami") == ["nour-al-din", "ash-shami"]
    assert tokens("Saad Allah Abu Zeid") == ["saad-allah", "abu-zeid"]
    assert tokens("Mohammed bin Salman") == ["mohammed", "salman"]
    assert tokens("As Sayed Assad") == ["as-sayed", "assad"]  # sun letter before s only


def test_the_same_man_in_four_spellings_has_one_key_sequence() -> None:
    spellings = ["محمد الحسن", "Mohammed al-Hassan", "Muhammad Alhasan", "Mhd El Hassan"]
    assert {tuple(keys(s)) for s in spellings} == {("mhmd", "hsn")}


@pytest.mark.parametrize("spelling", [
    "Abd al-Rahman", "Abdulrahman", "Abdel Rahman", "عبد الرحمن", "عبدالرحمن", "Abdurrahman",
    "Abderrahmane", "Abd-Elrahman", "ABDUL RAHMAN"])
def test_abd_al_rahman_meets_in_every_spelling(spelling: str) -> None:
    assert keys(spelling) == ["bdrhmn"]


def test_diacritics_tatweel_and_hamza_do_not_matter() -> None:
    assert keys("مُحَمَّـــد") == keys("محمد")
    assert keys("إبراهيم") == keys("ابراهيم") == keys("Ibrahim")
    assert keys("فاطمة") == keys("فاطمه") == keys("Fatima") == keys("Fatmeh")


@pytest.mark.parametrize(("a", "b"), [
    ("Yusuf", "Youssef"), ("Yousef", "يوسف"), ("Hassan", "Hasan"), ("حسن", "Hassan"),
    ("Hussein", "حسين"), ("Mustafa", "مصطفى"), ("Layla", "ليلى"), ("Khaled", "خالد"),
    ("Bachar", "بشار"), ("Yacine", "ياسين"), ("Saeed", "سعيد"), ("Wael", "وائل"),
    ("Othman", "Osman"), ("Haitham", "هيثم"), ("Fathi", "فتحي"), ("Nureddin", "نور الدين"),
    ("Abdullah", "عبد الله"), ("Al-Ali", "العلي"), ("Isa", "العيسى"), ("Gamal", "جمال"),
    ("El-Garni", "القرني"), ("Zaxoyi", "زاخويي"), ("Mhd", "Mohamed"), ("Hammoudi", "Muhammad"),
    ("Saad", "سعد"), ("Alaa", "علاء"), ("Maarouf", "معروف"), ("Mansour", "منصور"),
    ("Mahmoud", "محمود"), ("Mohammed", "محمد"), ("Younes", "يونس"), ("Bakkour", "بكور"),
])
def test_variant_spellings_agree(a: str, b: str) -> None:
    assert alike(a, b) >= AGREE


@pytest.mark.parametrize(("a", "b"), [
    ("Hassan", "Hussein"), ("حسن", "حسين"), ("Mohammed", "Mahmoud"), ("محمد", "محمود"),
    ("Mohammed", "Ahmad"), ("Khaled", "Ahmad"), ("عمر", "عمار"), ("Ali", "Alaa"),
    # Across scripts, by the long vowels Arabic writes and Latin spells
    ("Mahmoud", "محمد"), ("Mohammed", "محمود"), ("Hussein", "حسن"), ("Hameed", "حمد"),
])
def test_different_names_do_not_agree(a: str, b: str) -> None:
    assert alike(a, b) < AGREE


def test_names_that_begin_like_an_article_keep_it() -> None:
    assert keys("Elias") == keys("الياس") == ["ls"]
    assert key("Alwan") == key("علوان") != key("Wan")
    assert key("Alhasan") == key("Hasan")


@given(st.text(max_size=40))
def test_any_text_analyses(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)
    for token in tokens(text):
        assert key(token)
