// Personal names in Arabic and Latin script reduced to keys on which both scripts
// meet: the project's own rules (src/corridor/matching/names.py and variants.py)
// ported line for line, so that a search on a phone, offline, finds whom the server
// would. tests/test_field_names.py checks both give the same tokens, keys and
// similarities on a corpus of names in both scripts.
//
// محمد, Mohammed, Muhammad and Mhd all give the key "mhmd"; الحسن, al-Hassan,
// Alhasan and El Hassan all give "hsn". The key drops vowels, which Arabic does not
// write, so it also merges Hassan and Hussein: a token keeps its vowel classes
// (`gaps`) and `similarity` uses them to tell such names apart.
//
// Strings are handled as arrays of code points, as Python indexes them.

// --- variants.py ------------------------------------------------------------------------

const ABBREVIATIONS = {
  mhd: "muhammad", mohd: "muhammad", muhd: "muhammad", mhmd: "muhammad",
  mohmd: "muhammad", mhmmd: "muhammad",
};
const NICKNAMES = {
  hammoudi: ["muhammad", "ahmad", "mahmoud"], hamoudi: ["muhammad", "ahmad", "mahmoud"],
  hammoudeh: ["muhammad", "ahmad", "mahmoud"], hamoudeh: ["muhammad", "ahmad", "mahmoud"],
  "حمودي": ["محمد", "احمد", "محمود"], "حموده": ["محمد", "احمد", "محمود"],
  abboud: ["abdullah", "abdulrahman", "abdulkarim"],
  aboud: ["abdullah", "abdulrahman", "abdulkarim"],
  "عبود": ["عبد الله", "عبد الرحمن", "عبد الكريم"],
  fattoum: ["fatima"], fatoum: ["fatima"], "فطوم": ["فاطمه"],
  khaddouj: ["khadija"], "خدوج": ["خديجه"],
  ayoush: ["aisha"], "عيوش": ["عايشه"],
};
const NOT_ARTICLE_LATIN = new Set([
  "alaa", "ala", "alia", "aliya", "aliyah", "alya", "alyaa", "alawi", "alwan", "alwani",
  "elias", "elyas", "elie", "elham", "elhan", "alma", "almas", "alan", "alam", "ali",
  "elissa", "eliane", "alain", "albert", "alex", "alexandre", "elena", "ella",
]);
const NOT_ARTICLE_ARABIC = new Set(["الياس", "الهام", "الفت", "الماس", "الاء"]);

// --- normalise ----------------------------------------------------------------------------

const FOLD = {
  "ٱ": "ا", "ة": "ه", "ى": "ي", "ک": "ك", "ی": "ي", "ھ": "ه", "ە": "ه", "ۀ": "ه",
  "ـ": "",
  "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th",
  "ş": "sh", "ç": "ch", "ğ": "gh",
};
const FOLDED = new RegExp(`[${Object.keys(FOLD).join("")}]`, "gu");
const MARKS = /['`´ʻʼʽʾʿ‘’′]/gu;
const ARABIZI = { 2: "", 3: "", 5: "kh", 6: "t", 7: "h", 8: "gh", 9: "s" };
const ARABIZI_DIGIT = /(?<=[a-z])[2356789]|[2356789](?=[a-z])/gu;
// Python's combining() is a non-zero combining class: for Arabic harakat, hamza and
// madda and Latin accents that is exactly the nonspacing marks.
const COMBINING = /\p{Mn}/gu;
const LETTER = /\p{L}/u;
const FORMAT = /\p{Cf}/u;

const fold = (text) => text.replace(FOLDED, (c) => FOLD[c]);
// str.casefold for the letters names use: lower case, and the two Greek sigmas one.
const casefold = (text) => text.toLowerCase().replace(/ς/gu, "σ");

export function normalise(text) {
  let folded = fold(casefold(text.normalize("NFKC")));
  folded = folded.normalize("NFKD").replace(COMBINING, "");
  folded = fold(folded).replace(MARKS, "");
  folded = folded.replace(ARABIZI_DIGIT, (digit) => ARABIZI[digit]);
  // Invisible format characters (ZWNJ, direction marks) join; other non-letters separate.
  const spaced = Array.from(folded, (c) => (LETTER.test(c) ? c : FORMAT.test(c) ? "" : " "));
  return spaced.join("").split(/\s+/u).filter(Boolean).join(" ");
}

function isArabic(char) {
  return (char >= "\u0600" && char <= "\u06ff") || (char >= "\u0750" && char <= "\u077f")
    || (char >= "\u08a0" && char <= "\u08ff") || (char >= "\ufb50" && char <= "\ufdff")
    || (char >= "\ufe70" && char <= "\ufeff");
}

const hasArabic = (text) => Array.from(text).some(isArabic);

// --- tokens -------------------------------------------------------------------------------

const ARTICLES = new Set(["al", "el", "ul", "il", "ال"]);
const SUN_ARTICLES = {};
for (const v of "aeu") {
  for (const c of ["d", "n", "r", "s", "sh", "t", "th", "z", "dh"]) SUN_ARTICLES[v + c] = c;
}
const PREFIXES = new Set(["abd", "abdel", "abdul", "abdal", "abdol", "abdil", "abdu", "abdur",
  "abder", "abdus", "abdes", "abden", "abdet", "abu", "abou", "عبد", "ابو"]);
const SUFFIXES = new Set(["din", "deen", "dine", "eddin", "eddine", "uddin", "addin", "allah",
  "ullah", "illah", "alla", "الدين", "الله"]);
const LINKS = new Set(["bin", "ibn", "ben", "bint", "bent", "بن", "ابن", "بنت"]);

function isArticle(word, following) {
  if (ARTICLES.has(word)) return following !== null;
  const sun = Object.hasOwn(SUN_ARTICLES, word) ? SUN_ARTICLES[word] : null;
  return sun !== null && following !== null && following.startsWith(sun);
}

// Name tokens of `text`, normalised; an article, "Abd"/"Abu" or "al-Din"/"Allah" is joined
// with hyphens to the name it belongs to ("abd-al-rahman", "نور-الدين").
export function tokens(text) {
  const normal = normalise(text);
  const words = normal ? normal.split(" ") : [];
  const out = [];
  let pending = [];
  words.forEach((word, i) => {
    const following = i + 1 < words.length ? words[i + 1] : null;
    if (LINKS.has(word) && out.length && following !== null) return;
    if (SUFFIXES.has(word) && out.length && !pending.some((p) => PREFIXES.has(p))) {
      out[out.length - 1].push(...pending, word);
      pending = [];
    } else if (following !== null && (PREFIXES.has(word) || isArticle(word, following))) {
      pending.push(word);
    } else {
      out.push([...pending, word]);
      pending = [];
    }
  });
  if (pending.length) out.push(pending);
  return out.map((parts) => parts.join("-"));
}

// --- keys ---------------------------------------------------------------------------------

const ROMAN = {
  "ا": "a", "ب": "b", "ت": "t", "ث": "θ", "ج": "j", "ح": "h", "خ": "χ", "د": "d",
  "ذ": "ð", "ر": "r", "ز": "z", "س": "s", "ش": "š", "ص": "s", "ض": "d", "ط": "t",
  "ظ": "z", "ع": "'", "غ": "ɣ", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m",
  "ن": "n", "ه": "h", "و": "w", "ي": "y", "ء": "'", "پ": "p", "چ": "j", "ژ": "j",
  "گ": "g", "ڤ": "v",
};
const roman = (text) => Array.from(text, (c) => (Object.hasOwn(ROMAN, c) ? ROMAN[c] : c)).join("");
const CONSONANT = {
  b: "b", p: "b", t: "t", d: "d", s: "s", z: "z", j: "j", g: "j", h: "h", r: "r", f: "f",
  v: "f", k: "k", q: "k", l: "l", m: "m", n: "n", w: "w", y: "y",
};
const DIGRAPHS = {
  th: ["s", "th"], dh: ["z", "dh"], sh: ["c", "sh"], kh: ["x", "kh"], gh: ["g", null],
  ch: ["c", null], zh: ["j", null], dj: ["j", null], ph: ["f", null], ck: ["k", null],
};
const ONE_LETTER = { "θ": ["s", "t"], "ð": ["z", "d"], "š": ["c", null], "χ": ["x", null],
  "ɣ": ["g", null] };
const A = 1;
const I = 2;
const U = 4;
const LONG = 8;
const AYN = 16;
const LATIN_VOWELS = { a: A, e: A | I | U, i: I, o: U, u: U, y: I, w: U };
const DIPHTHONGS = { ou: U };
for (const [two, bits] of [["ei", I], ["ey", I], ["ai", I], ["ay", I], ["ie", I], ["ee", I],
  ["ii", I], ["oo", U], ["uu", U], ["aa", A], ["ae", A | I], ["ea", A | I]]) {
  DIPHTHONGS[two] = bits | LONG;
}
const ARABIC_VOWELS = { a: A, w: U, y: I };
const ABD = /^abd[aeiou](.)(.)/u;
const FUSED_DIN = /(?<=[a-z]{2})[aeiou]l(?=d(?:in|ine|een)$)/gu;

const length = (text) => Array.from(text).length;
const slice = (text, start, end) => Array.from(text).slice(start, end).join("");

// The name parts of one token, articles dropped, each with its script.
function parts(token) {
  const found = [];
  for (let part of token.split("-")) {
    const arabic = hasArabic(part);
    if (ARTICLES.has(part) || Object.hasOwn(SUN_ARTICLES, part)) continue;
    if (arabic) {
      if (part.startsWith("عبد") && length(part) >= 5) {
        found.push(["عبد", true]);
        part = slice(part, 3);
      }
      for (const suffix of ["الدين", "الله"]) {
        if (part.endsWith(suffix) && length(part) > length(suffix) + 1) {
          found.push([slice(part, 0, -length(suffix)), true]);
          part = suffix;
        }
      }
      if (part.startsWith("ال") && length(part) >= 4 && !NOT_ARTICLE_ARABIC.has(part)) {
        part = slice(part, 2);
      }
    } else if (PREFIXES.has(part)) {
      part = slice(part, 0, 3); // abdul, abdel, abou: the same Abd and Abu
    } else {
      part = Object.hasOwn(ABBREVIATIONS, part) ? ABBREVIATIONS[part] : part;
      const match = part.match(ABD);
      if (match && length(part) > 5) {
        // Abdulrahman, Abdurrahman, Abdirahman: Abd, a linking vowel, perhaps the
        // article, then the name.
        const [, second, third] = match;
        const rest = second !== "l" && second !== third ? slice(part, 4) : slice(part, 5);
        if (length(rest) >= 2) {
          found.push(["abd", false]);
          part = rest;
        }
      }
      part = part.replace(FUSED_DIN, "");
      const head = slice(part, 0, 2);
      if ((head === "al" || head === "el") && length(part) >= 5 && !NOT_ARTICLE_LATIN.has(part)) {
        part = slice(part, 2);
      }
    }
    found.push([part, arabic]);
  }
  return found;
}

// Consonant classes of one part (each with its two-letter reading, or null) and the
// vowel gaps around them: gaps.length === consonants.length + 1.
function units(text, arabic) {
  let part = text;
  if (arabic) {
    part = roman(part);
  } else {
    part = part.replace(/([^aeiou])\1+/gu, "$1"); // a doubled consonant is one letter
    const third = slice(part, 2, 3);
    if (part.startsWith("ou") && ["a", "e", "i"].includes(third)) part = `w${slice(part, 2)}`;
  }
  const chars = Array.from(part);
  const consonants = [];
  const gaps = [0];
  const last = () => gaps.length - 1;
  let i = 0;
  while (i < chars.length) {
    const char = chars[i];
    const vowels = arabic ? ARABIC_VOWELS : LATIN_VOWELS;
    const two = chars.slice(i, i + 2).join("");
    if (Object.hasOwn(vowels, char) && !(i === 0 && (char === "w" || char === "y"))) {
      if (!arabic && Object.hasOwn(DIPHTHONGS, two)) {
        gaps[last()] |= DIPHTHONGS[two];
        if (two === "ou" && consonants.length >= 2) gaps[last()] |= LONG;
        i += 2;
        continue;
      }
      let bits;
      if (arabic) {
        bits = vowels[char] | LONG;
        if (i === 0) bits = A | I | U; // an initial alef carries any short vowel
        else if (i === chars.length - 1 && char === "y") bits |= A; // ي for ى
      } else {
        bits = vowels[char] | ((gaps[last()] & 7) ? LONG : 0);
      }
      gaps[last()] |= bits;
      i += 1;
      continue;
    }
    if (char === "'") {
      gaps[last()] |= AYN;
      i += 1;
      continue;
    }
    if (arabic && Object.hasOwn(ONE_LETTER, char)) {
      consonants.push(ONE_LETTER[char]);
      i += 1;
    } else if (!arabic && Object.hasOwn(DIGRAPHS, two)) {
      const [sound, reading] = DIGRAPHS[two];
      // Latin ends a word on a digraph only as one sound (Darwish, Ayyash).
      consonants.push([sound, i + 2 < chars.length ? reading : null]);
      i += 2;
    } else {
      if (char === "c") {
        consonants.push([["e", "i", "y"].includes(chars[i + 1]) ? "s" : "k", null]);
      } else if (char === "x") {
        consonants.push(["x", null]); // Kurdish (Kurmanji) spelling: x is خ
      } else if (char === "g" && !arabic) {
        consonants.push(["j", "q"]); // Gamal (ج) in Egypt, Garni (ق) in the Gulf
      } else if (Object.hasOwn(CONSONANT, char)) {
        consonants.push([CONSONANT[char], null]);
      } else {
        i += 1;
        continue;
      }
      i += 1;
    }
    gaps.push(0);
  }
  return [consonants, gaps];
}

// Classes to key: a final h is dropped (ة, and Latin's silent final h: Fatimah).
function skeleton(classes) {
  return (classes.length && classes[classes.length - 1] === "h" ? classes.slice(0, -1) : classes)
    .join("");
}

function readings(token) {
  const all = [];
  const gaps = [0];
  for (const [part, arabic] of parts(token)) {
    const [partUnits, partGaps] = units(part, arabic);
    all.push(...partUnits);
    gaps[gaps.length - 1] |= partGaps[0];
    gaps.push(...partGaps.slice(1));
  }
  if (all.length && all[all.length - 1][0] === "h") {
    const after = gaps.pop(); // the key drops a final h: its gap joins the one before
    gaps[gaps.length - 1] |= after;
  }
  const key = skeleton(all.map(([c]) => c));
  const ambiguous = all.flatMap(([, reading], n) => (reading ? [n] : [])).slice(0, 2);
  const found = [key];
  // Every choice of reading the ambiguous letters as one sound or as two, in the order
  // itertools.product gives.
  for (let bits = 0; bits < 1 << ambiguous.length; bits += 1) {
    const classes = all.map(([c]) => c);
    const choice = ambiguous.map((n, k) => [n, Boolean(bits & (1 << (ambiguous.length - 1 - k)))]);
    for (const [n, split] of choice.sort((x, y) => y[0] - x[0])) {
      const reading = all[n][1];
      if (split && reading) classes.splice(n, 1, ...Array.from(reading, (c) => CONSONANT[c]));
    }
    const alternative = skeleton(classes);
    if (!found.includes(alternative)) found.push(alternative);
  }
  return [key, found, gaps];
}

const analysed = new Map();

// One token as `tokens` gives it: {text, arabic, key, keys, gaps}; keys holds the key
// first, then the other readings and nicknames' keys.
export function analyse(token) {
  const cached = analysed.get(token);
  if (cached) return cached;
  let [key, keys, gaps] = readings(token);
  if (!key) { // vowels and glides only (Awiwi, عويوي): the w glides must do
    key = "w".repeat(roman(token).split("w").length - 1) || "_";
    keys = [key];
  }
  const nicknames = Object.hasOwn(NICKNAMES, token) ? NICKNAMES[token] : [];
  const aliases = nicknames.map((name) => analyse(tokens(name)[0]).keys[0]);
  const result = { text: token, arabic: hasArabic(token), key,
    keys: [...new Set([...keys, ...aliases])], gaps };
  if (analysed.size > 1 << 16) analysed.clear();
  analysed.set(token, result);
  return result;
}

// The script-independent comparison key of one name token.
export function key(token) {
  return analyse(normalise(token).replace(/ /gu, "-")).key;
}

// --- similarity ---------------------------------------------------------------------------

// Optimal string alignment distance (rapidfuzz's OSA) over code points.
function osa(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  const rows = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j += 1) rows[0][j] = j;
  for (let i = 1; i <= x.length; i += 1) {
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = best;
    }
  }
  return rows[x.length][y.length];
}

function osaSimilarity(a, b) {
  const longest = Math.max(length(a), length(b));
  return longest ? 1 - osa(a, b) / longest : 1;
}

// How far the vowels of two tokens with one key agree, in [0, 1].
function vowelsAgree(a, b) {
  let penalty = 0;
  a.gaps.forEach((x, n) => {
    const y = b.gaps[n];
    const cx = x & 7;
    const cy = y & 7;
    if (!cx && !cy) return;
    if (a.arabic && b.arabic) {
      penalty += cx === cy ? 0 : 2;
    } else if (a.arabic || b.arabic) {
      const [written, latin] = a.arabic ? [x, y] : [y, x];
      if (written & AYN) return;
      if (written & 7) {
        // Latin e stands for any short vowel, never for و (Mohammed is not محمود).
        const apart = !(written & latin & 7) || ((latin & 7) === (A | I | U) && (written & 7) === U);
        penalty += apart ? 1.5 : 0;
      } else if (latin & LONG) {
        penalty += 1.5; // a long vowel Arabic would write: Mahmoud is not محمد
      }
    } else if (cx && cy) {
      penalty += cx & cy ? 0 : ((x | y) & LONG ? 1.5 : 1);
    } else {
      penalty += (x | y) & LONG ? 0.5 : 0.25;
    }
  });
  return Math.max(0, 1 - penalty / 2);
}

// How alike two analysed tokens are, in [0, 1], across scripts: 1 for one spelling,
// ≥ 0.8 for variant spellings of one name, lower for different names.
export function similarity(a, b) {
  if (a.text === b.text) return 1;
  let value;
  if (a.key === b.key && a.gaps.length === b.gaps.length) {
    value = Math.max(0.7, 0.6 + 0.4 * vowelsAgree(a, b));
  } else if (a.keys.some((k) => b.keys.includes(k))) {
    value = 0.85; // another reading of a digraph, or a nickname
  } else {
    const apart = a.keys.slice(0, 4).flatMap((x) => b.keys.slice(0, 4).map(
      (y) => [osa(x, y), Math.max(length(x), length(y))]));
    value = apart.some(([d, n]) => d === 1 && n >= 3) ? 0.75
      : Math.min(0.65, 0.9 * Math.max(...apart.map(([d, n]) => 1 - d / n)));
  }
  if (a.arabic === b.arabic) value = Math.max(value, 0.95 * osaSimilarity(a.text, b.text));
  return value;
}

// --- search -------------------------------------------------------------------------------

const NAME_FIELDS = ["given_name", "father_name", "family_name"];
const FOUND = 0.7; // a query token this alike to one of a person's is a match
const BEGUN = 0.9; // what a name typed only in part scores: it is the start of one

// How well one query token matches one name token: its similarity, or, for a name
// still being typed, its being the beginning of the name (in the same script).
function tokenScore(query, name) {
  const score = similarity(query, name);
  const typed = query.text.replace(/-/gu, "");
  const begins = length(typed) >= 2 && query.arabic === name.arabic
    && name.text.replace(/-/gu, "").startsWith(typed);
  return Math.max(score, begins ? BEGUN : 0);
}

// The people whose names match `query` best, best first: each query token must find
// a name token of the person alike enough (in any of given, father's, family name,
// any script); the score is their mean. `people` are records with the name fields;
// a vehicle's manifest or a device's persons.
export function search(people, query, limit = 20) {
  const wanted = tokens(query).map(analyse);
  if (!wanted.length) return [];
  const found = [];
  for (const person of people) {
    const names = NAME_FIELDS.flatMap((field) => tokens(person[field] || "")).map(analyse);
    let total = 0;
    for (const token of wanted) {
      const best = Math.max(0, ...names.map((name) => tokenScore(token, name)));
      if (best < FOUND) {
        total = -1;
        break;
      }
      total += best;
    }
    if (total >= 0) found.push({ person, score: total / wanted.length });
  }
  found.sort((x, y) => y.score - x.score);
  return found.slice(0, limit);
}
