// Translations: the shell's strings and the screens', English and Arabic (right to
// left). Keys are flat ("outbox.title"); `{name}` placeholders are filled from vars.
// The language is the phone's choice, kept in localStorage (it says nothing about
// anyone) so the lock screen speaks it before the PIN.

const LANGS = ["en", "ar"];
const BUNDLES = ["shell", "screens"];
const KEY = "corridor.lang";

let lang = LANGS.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : "en";
let strings = {};
let fallback = {};

async function bundle(language) {
  const parts = await Promise.all(BUNDLES.map(async (name) => {
    try {
      const response = await fetch(`/field/static/locales/${name}.${language}.json`);
      return response.ok ? await response.json() : {};
    } catch {
      return {};  // not precached (a bundle this version lacks) and no network
    }
  }));
  return Object.assign({}, ...parts);
}

export async function load(language = lang) {
  lang = LANGS.includes(language) ? language : "en";
  localStorage.setItem(KEY, lang);
  [strings, fallback] = await Promise.all([bundle(lang), lang === "en" ? null : bundle("en")]);
  fallback = fallback || strings;
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  return lang;
}

export function currentLang() {
  return lang;
}

export function t(key, vars = {}) {
  const text = strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

// Numbers and times the way the language writes them.
export function number(value) {
  return new Intl.NumberFormat(lang === "ar" ? "ar" : "en").format(value);
}

// Times on the 24-hour clock in both languages: a field log has no "PM" to misread.
export function clock(date) {
  return new Intl.DateTimeFormat(lang === "ar" ? "ar" : "en-GB",
    { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
}

// A day and a time (an earlier store's creation), in the language, not the browser's.
export function dateTime(date) {
  return new Intl.DateTimeFormat(lang === "ar" ? "ar" : "en-GB",
    { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }).format(date);
}

export function ago(ms) {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return t("time.now");
  if (minutes < 60) return t("time.minutes", { n: number(minutes) });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return t("time.hours", { n: number(hours) });
  return t("time.days", { n: number(Math.round(hours / 24)) });
}
