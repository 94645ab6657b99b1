// Encryption at rest, all in WebCrypto. A random 256-bit AES-GCM data key encrypts
// every value that may hold a name, a person's id or the token; it is stored only
// wrapped (AES-KW) by a key derived from the PIN with PBKDF2-SHA-256. Argon2 would
// resist guessing on GPUs better but WebCrypto has none, and a PIN check in
// JavaScript would be slower than an attacker's own code: PBKDF2 with as many
// iterations as the phone does in about half a second is the best it offers.

const subtle = crypto.subtle;
const MIN_ITERATIONS = 100_000;
const TARGET_MS = 500;
const enc = new TextEncoder();
const dec = new TextDecoder();

async function pinKey(pin) {
  return subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
}

async function wrapKeyFrom(pin, salt, iterations) {
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations },
    await pinKey(pin), { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

// How many iterations this phone does in TARGET_MS: the fastest of three samples (a
// busy moment only slows one down, and an attacker's machine is never busy), scaled,
// never below MIN_ITERATIONS. Returns the count and the measured time for it.
export async function calibrate(targetMs = TARGET_MS) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const sample = 50_000;
  let fastest = Infinity;
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    await wrapKeyFrom("000000", salt, sample);
    fastest = Math.min(fastest, performance.now() - started);
  }
  const perIteration = Math.max(fastest, 1) / sample;
  const iterations = Math.max(MIN_ITERATIONS, Math.round(targetMs / perIteration / 1000) * 1000);
  return { iterations, expectedMs: Math.round(iterations * perIteration) };
}

// A new keyring for a PIN: the data key (usable in memory) and what is stored.
export async function newKeyring(pin, iterations) {
  const dataKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true,
    ["encrypt", "decrypt"]);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const wrapped = await subtle.wrapKey("raw", dataKey, await wrapKeyFrom(pin, salt, iterations),
    "AES-KW");
  // Once wrapped, the key in memory need not be extractable.
  const usable = await subtle.importKey("raw", await subtle.exportKey("raw", dataKey),
    "AES-GCM", false, ["encrypt", "decrypt"]);
  return { dataKey: usable, stored: { salt, iterations, wrapped: new Uint8Array(wrapped) } };
}

// The data key from a PIN, or null when the PIN is wrong (AES-KW's integrity check
// fails: nothing decrypts).
export async function unwrap(pin, stored) {
  try {
    const wrapKey = await wrapKeyFrom(pin, stored.salt, stored.iterations);
    return await subtle.unwrapKey("raw", stored.wrapped, wrapKey, "AES-KW", "AES-GCM", false,
      ["encrypt", "decrypt"]);
  } catch {
    return null;
  }
}

export async function seal(dataKey, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await subtle.encrypt({ name: "AES-GCM", iv }, dataKey,
    enc.encode(JSON.stringify(value)));
  return { iv, data: new Uint8Array(data) };
}

export async function open(dataKey, sealed) {
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, dataKey, sealed.data);
  return JSON.parse(dec.decode(plain));
}
