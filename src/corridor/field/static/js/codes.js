// Codes people type and scan, the rule of the server's corridor/domain/codes.py:
// a check character (ISO/IEC 7064, MOD 37,36 hybrid) over the code's letters and
// digits, case-insensitive, other characters ignored, written after the code with a
// '-' (token `F-00012` is typed `F-00012-V`); QR payloads `CORRIDOR:H:<token>`,
// `CORRIDOR:P:<person_id>`, `CORRIDOR:V:<vehicle_id>`. tests/test_field_codes.py
// checks this file and the server agree on many codes.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const M = 36;
// No 0/O, 1/I/L, 2/Z, 5/S, 8/B pairs to misread from a smudged card or a bad screen.
const UNAMBIGUOUS = "34679ACDEFGHJKMNPQRTUVWXY";
// A token made on a phone cannot be checked against the tokens other phones made
// offline, so it is longer than the server's: 25^8 draws, a clash among ten
// thousand households one chance in three thousand.
const PHONE_TOKEN_LENGTH = 8;
export const KINDS = { household: "H", person: "P", vehicle: "V" };

export class CodeError extends Error {
  // `key` names the message in screens.*.json, `vars` its placeholders.
  constructor(key, vars = {}) {
    super(key);
    this.key = key;
    this.vars = vars;
  }
}

const characters = (code) => Array.from(code.toUpperCase())
  .filter((c) => ALPHABET.includes(c)).join("");

function remainder(chars, start = M) {
  let p = start;
  for (const c of chars) {
    const s = (p + ALPHABET.indexOf(c)) % M || M;
    p = (s * 2) % (M + 1);
  }
  return p;
}

export function checkCharacter(code) {
  const chars = characters(code);
  if (!chars) throw new CodeError("code.empty");
  return ALPHABET[(M + 1 - remainder(chars)) % M];
}

function checks(codeWithCheck) {
  const chars = characters(codeWithCheck);
  return chars.length >= 2
    && (remainder(chars.slice(0, -1)) + ALPHABET.indexOf(chars.at(-1))) % M === 1;
}

export const withCheck = (code) => `${code}-${checkCharacter(code)}`;

// The code in a typed `code-check` text, upper case, its check verified; CodeError
// saying what is wrong otherwise.
export function parse(typed) {
  const text = typed.trim().toUpperCase();
  const dash = text.lastIndexOf("-");
  const code = dash > 0 ? text.slice(0, dash) : "";
  const check = text.slice(dash + 1);
  if (!code) throw new CodeError("code.no_check", { code: typed.trim() });
  if (check.length !== 1 || !ALPHABET.includes(check)) {
    throw new CodeError("code.bad_check", { check });
  }
  if (!characters(code)) throw new CodeError("code.empty");
  if (!checks(text)) throw new CodeError("code.wrong", { code: text });
  return code.trim();
}

export const payload = (kind, key) => `CORRIDOR:${kind}:${key}`;

// What a scanned QR code names: {kind: "H"|"P"|"V", key}; CodeError if none.
export function readPayload(scanned) {
  const text = scanned.trim();
  const [prefix, kind, ...rest] = text.split(":");
  const key = rest.join(":");
  if (prefix !== "CORRIDOR" || !Object.values(KINDS).includes(kind) || !key) {
    throw new CodeError("code.not_ours");
  }
  return { kind, key };
}

function swapsCaught(codeWithCheck) {
  const chars = characters(codeWithCheck);
  for (let n = 0; n < chars.length - 1; n += 1) {
    if (chars[n] === chars[n + 1]) continue;
    const swapped = chars.slice(0, n) + chars[n + 1] + chars[n] + chars.slice(n + 2);
    if (checks(swapped)) return false;
  }
  return true;
}

function draw() {
  const bytes = crypto.getRandomValues(new Uint8Array(PHONE_TOKEN_LENGTH * 2));
  // 250 = 10 × 25: a byte below it picks a letter without bias.
  return Array.from(bytes).filter((b) => b < 250).slice(0, PHONE_TOKEN_LENGTH)
    .map((b) => UNAMBIGUOUS[b % UNAMBIGUOUS.length]).join("");
}

// A random household token, `XXXX-XXXX` from the unambiguous letters and digits, not
// in `used` (the tokens this phone knows), whose check character is unambiguous too
// and under which every swap of two neighbours is caught (as the server's
// fresh_token draws them).
export function freshToken(used = new Set()) {
  for (;;) {
    const raw = draw();
    if (raw.length < PHONE_TOKEN_LENGTH) continue;
    const token = `${raw.slice(0, 4)}-${raw.slice(4)}`;
    if (used.has(token)) continue;
    if (UNAMBIGUOUS.includes(checkCharacter(token)) && swapsCaught(withCheck(token))) return token;
  }
}
