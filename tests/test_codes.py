"""Check characters and QR payloads (corridor/domain/codes.py, docs/codes.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.domain import codes

code_text = st.text(alphabet=codes.ALPHABET, min_size=1, max_size=12)


def test_the_check_character_of_known_codes() -> None:
    # ISO/IEC 7064 MOD 37,36 worked by hand: remainder 36, then each character.
    assert codes.with_check("F-00012") == "F-00012-V"
    assert codes.parse(" f-00012-v ") == "F-00012"
    assert codes.checks("F00012V")  # only letters and digits count


@given(code=code_text, position=st.integers(0, 11), other=st.sampled_from(codes.ALPHABET))
def test_every_single_wrong_character_is_caught(code: str, position: int, other: str) -> None:
    typed = code + codes.check_character(code)
    n = position % len(typed)
    wrong = typed[:n] + other + typed[n + 1:]
    assert codes.checks(wrong) == (wrong == typed)


@given(code=code_text, position=st.integers(0, 11))
def test_a_swap_of_neighbours_is_caught_but_in_the_known_case(code: str, position: int) -> None:
    typed = code + codes.check_character(code)
    n = position % (len(typed) - 1) if len(typed) > 1 else 0
    a, b = typed[n], typed[n + 1]
    swapped = typed[:n] + b + a + typed[n + 2:]
    if a == b:
        return
    assert codes.checks(swapped) == _blind(codes._remainder(typed[:n]), a, b)


def _blind(before: int, a: str, b: str) -> bool:
    """The one blind spot of MOD 37,36: neighbours of consecutive values (Z and 0
    too), the lower of which brings the remainder before them to 18."""
    va, vb = codes.ALPHABET.index(a), codes.ALPHABET.index(b)
    step = (vb - va) % 36
    low = va if step == 1 else vb if step == 35 else None
    return low is not None and (before + low) % 36 == 18


def test_the_blind_spot_is_one_swap_in_630() -> None:
    """Every remainder and every pair of different neighbours, exhaustively."""
    missed = total = 0
    for before in range(1, 37):
        for a in codes.ALPHABET:
            for b in codes.ALPHABET:
                if a != b:
                    total += 1
                    missed += codes._remainder(a + b, before) == codes._remainder(b + a, before)
                    assert _blind(before, a, b) == (
                        codes._remainder(a + b, before) == codes._remainder(b + a, before))
    assert (missed, total) == (72, 45360)


@given(st.data())
def test_every_swap_and_every_wrong_character_of_a_fresh_token_is_caught(data: st.DataObject
                                                                         ) -> None:
    token = codes.fresh_token(set())
    assert all(c in codes.UNAMBIGUOUS for c in token.replace("-", ""))
    typed = codes.with_check(token)
    assert codes.parse(typed) == token
    characters = typed.replace("-", "")
    for n in range(len(characters) - 1):
        swapped = characters[:n] + characters[n + 1] + characters[n] + characters[n + 2:]
        assert codes.checks(swapped) == (swapped == characters)
    n = data.draw(st.integers(0, len(characters) - 1))
    other = data.draw(st.sampled_from(codes.ALPHABET))
    wrong = characters[:n] + other + characters[n + 1:]
    assert codes.checks(wrong) == (wrong == characters)


def test_a_fresh_token_is_not_one_already_used() -> None:
    used = {codes.fresh_token(set()) for _ in range(50)}
    assert all(codes.fresh_token(used) not in used for _ in range(50))


@pytest.mark.parametrize(("typed", "says"), [
    ("F-00012", "is not a check character"),
    ("F00012V", "has no check character"),
    ("F-00012-W", "does not check"),
    ("F-00012-VV", "is not a check character"),
    ("-V", "has no check character"),
    ("--V", "at least one letter or digit"),
])
def test_a_code_that_does_not_check_says_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(codes.CodeError, match=says):
        codes.parse(typed)


def test_qr_payloads_name_what_they_are() -> None:
    assert codes.payload(codes.Kind.HOUSEHOLD, "F-00012") == "CORRIDOR:H:F-00012"
    assert codes.read_payload("CORRIDOR:P:p-1:2") == (codes.Kind.PERSON, "p-1:2")
    assert codes.read_payload(" CORRIDOR:V:bus-7 ") == (codes.Kind.VEHICLE, "bus-7")
    for scanned in ("CORRIDOR:X:1", "CORRIDOR:H:", "https://example.org", "corridor:h:1"):
        with pytest.raises(codes.CodeError, match="not a Corridor code"):
            codes.read_payload(scanned)


def test_a_token_typed_from_a_card_is_checked_and_a_family_number_kept() -> None:
    assert codes.typed_token(" khu-t7f-" + codes.check_character("KHU-T7F").lower()) == "KHU-T7F"
    with pytest.raises(codes.CodeError, match="does not check"):
        codes.typed_token("KHU-T7F-" + ("A" if codes.check_character("KHU-T7F") != "A" else "B"))
    assert codes.typed_token(" F-12 ") == "F-12"  # not a card's shape: as typed
