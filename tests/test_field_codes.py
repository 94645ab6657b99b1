"""The field app's codes (static/js/codes.js) follow the server's (domain/codes.py).

The check character a phone computes, the codes it accepts or refuses when typed and
the payloads it reads from a QR code are the server's, on many codes; the tokens a
phone makes are ones the server's rule accepts, with every swap of neighbours caught.
"""

from __future__ import annotations

import random
import string

import pytest
from playwright.sync_api import Page

from corridor.domain import codes

CODES_JS = "/field/static/js/codes.js"


def sample(n: int) -> list[str]:
    rng = random.Random(10)
    alphabet = string.ascii_letters + string.digits + "-"
    made = ["F-00012", "A-1", "bus1", "BUS-17", "ZZZ", "0", "r c", "x-y-z"]
    made += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(n)]
    return [code for code in made if any(c.isalnum() for c in code)]


def typed(code: str) -> str:
    """A typing slip: one character wrong, or two neighbours swapped."""
    chars = list(codes.with_check(code))
    n = random.Random(code).randrange(len(chars) - 1)
    chars[n], chars[n + 1] = chars[n + 1], chars[n]
    return "".join(chars)


def test_check_characters_and_typed_codes_agree(page: Page) -> None:
    made = sample(2000)
    slips = [typed(code) for code in made[:500]] + [" f-00012-" + c for c in "0123456789"] + [
        "F-00012", "F-00012-", "F-00012-VV", "-V", "--V"]
    page.goto("/field")
    got = page.evaluate("""async ([url, made, slips]) => {
        const c = await import(url);
        const parsed = (text) => {
            try { return c.parse(text); } catch (e) { return "!" + e.key; }
        };
        return { checks: made.map((code) => c.checkCharacter(code)), parsed: slips.map(parsed) };
    }""", [CODES_JS, made, slips])
    assert got["checks"] == [codes.check_character(code) for code in made]

    def server(text: str) -> str:
        try:
            return codes.parse(text)
        except codes.CodeError:
            return "!"

    assert [p if not p.startswith("!") else "!" for p in got["parsed"]] == [
        server(text) for text in slips]
    assert "!code.no_check" in got["parsed"] and "!code.wrong" in got["parsed"]


@pytest.mark.parametrize("scanned", ["CORRIDOR:H:F-00012", "CORRIDOR:P:0b7c-aa",
                                     "CORRIDOR:V:bus:17", "corridor:H:F-1", "CORRIDOR:X:1",
                                     "CORRIDOR:H:", "https://example.org"])
def test_payloads_are_read_alike(page: Page, scanned: str) -> None:
    page.goto("/field")
    got = page.evaluate("""async ([url, text]) => {
        const c = await import(url);
        try { const p = c.readPayload(text); return [p.kind, p.key]; } catch (e) { return e.key; }
    }""", [CODES_JS, scanned])
    try:
        kind, key = codes.read_payload(scanned)
        assert got == [kind.value, key]
    except codes.CodeError:
        assert got == "code.not_ours"


def test_tokens_made_on_a_phone_check_on_the_server(page: Page) -> None:
    page.goto("/field")
    made = page.evaluate("""async (url) => {
        const c = await import(url);
        const used = new Set();
        for (let n = 0; n < 200; n += 1) used.add(c.freshToken(used));
        return [...used];
    }""", CODES_JS)
    assert len(made) == 200
    for token in made:
        assert len(token) == 9 and token[4] == "-"
        assert set(token.replace("-", "")) <= set(codes.UNAMBIGUOUS)
        assert codes.parse(codes.with_check(token)) == token
        assert codes.check_character(token) in codes.UNAMBIGUOUS
        assert codes._swaps_caught(codes.with_check(token))
