// Reading a QR code: the camera (back camera, frame by frame), a photo taken with the
// phone's own camera app, or the code typed from the card with its check character.
// The browser's BarcodeDetector where it reads QR codes (Android Chrome), else the
// vendored zxing-wasm reader, its .wasm served from this app, never from a CDN.

import { CodeError, KINDS, parse, readPayload } from "./codes.js";
import { h } from "./screens/ui.js";

const WASM = new URL("../vendor/zxing-wasm/zxing_reader.wasm", import.meta.url).href;
const EVERY_MS = 250; // a frame four times a second: quick enough, light on a battery

let engine = null;

async function native() {
  if (!("BarcodeDetector" in globalThis)) return null;
  try {
    if (!(await globalThis.BarcodeDetector.getSupportedFormats()).includes("qr_code")) return null;
  } catch {
    return null;
  }
  const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
  return {
    name: "native",
    async read(source) {
      const image = source instanceof Blob ? await createImageBitmap(source) : source;
      return (await detector.detect(image)).map((found) => found.rawValue);
    },
  };
}

async function zxing() {
  const reader = await import("../vendor/zxing-wasm/es/reader/index.js");
  await reader.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) },
    fireImmediately: true,
  });
  const options = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };
  return {
    name: "zxing",
    async read(source) {
      const input = source instanceof Blob ? source : frame(source);
      const found = await reader.readBarcodes(input, options);
      return found.filter((r) => r.isValid).map((r) => r.text);
    },
  };
}

// The decoder this browser uses: {name: "native"|"zxing", read(Blob|video) → [text]}.
function decoder() {
  engine ||= native().then((found) => found || zxing());
  return engine;
}

const canvas = document.createElement("canvas");

function frame(video) {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const drawing = canvas.getContext("2d", { willReadFrequently: true });
  drawing.drawImage(video, 0, 0);
  return drawing.getImageData(0, 0, canvas.width, canvas.height);
}

// A scanner block: camera, photo and typed code. `onCode({kind, key})` gets what was
// read; `kind` says what a typed code is ("H" token, "V" vehicle); `label` heads it.
// Returns {element, stop}: stop() ends the camera (the screen's cleanup calls it).
export function scanner(ctx, { onCode, kind, label }) {
  const message = h("p", { class: "scan-error", role: "alert", hidden: true });
  let stream = null;
  let timer = null;

  const fail = (error) => {
    const known = error instanceof CodeError;
    message.textContent = known ? ctx.t(error.key, error.vars) : ctx.t("scan.failed");
    message.hidden = false;
  };
  const found = (code) => {
    message.hidden = true;
    stop();
    onCode(code);
  };
  // The first code read, if it is one of ours; another QR code (a website's) is
  // said to be foreign and the camera goes on looking.
  const take = (texts) => {
    if (!texts.length) return false;
    try {
      found(readPayload(texts[0]));
      return true;
    } catch (error) {
      fail(error);
      return false;
    }
  };

  const video = h("video", { class: "scan-video", playsinline: true, hidden: true });
  video.muted = true;
  const cancel = h("button", { type: "button", class: "secondary", hidden: true,
    onclick: () => stop(), text: ctx.t("scan.stop") });

  function stop() {
    clearTimeout(timer);
    timer = null;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    cancel.hidden = true;
  }

  async function camera() {
    if (stream) return;
    message.hidden = true;
    try {
      const read = await decoder();
      element.dataset.engine = read.name;
      stream = await navigator.mediaDevices.getUserMedia(
        { video: { facingMode: { ideal: "environment" } }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      cancel.hidden = false;
      await video.play();
      const look = async () => {
        if (!stream) return;
        if (video.videoWidth && take(await read.read(video).catch(() => []))) return;
        timer = setTimeout(look, EVERY_MS);
      };
      look();
    } catch {
      stop();
      message.textContent = ctx.t("scan.no_camera");
      message.hidden = false;
    }
  }

  const photo = h("input", { type: "file", accept: "image/*", capture: "environment",
    class: "scan-file", "aria-label": ctx.t("scan.photo") });
  photo.addEventListener("change", async () => {
    const file = photo.files[0];
    photo.value = "";
    if (!file) return;
    message.hidden = true;
    try {
      const read = await decoder();
      element.dataset.engine = read.name;
      const texts = await read.read(file);
      if (!texts.length) {
        message.textContent = ctx.t("scan.none_found");
        message.hidden = false;
      }
      take(texts);
    } catch (error) {
      fail(error);
    }
  });

  const typed = h("input", { type: "text", class: "code-input", dir: "ltr", autocomplete: "off",
    autocapitalize: "characters", spellcheck: "false", placeholder: ctx.t("scan.typed_example"),
    "aria-label": ctx.t("scan.typed") });
  // Not a form of its own: the scanner sits inside the screens' forms, and Enter here
  // must use the code, not submit the form around it.
  const use = () => {
    try {
      found({ kind, key: parse(typed.value), typed: true });
      typed.value = "";
    } catch (error) {
      fail(error);
    }
  };
  typed.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    use();
  });
  const manual = h("div", { class: "scan-typed" }, typed,
    h("button", { type: "button", class: "secondary scan-use", onclick: use,
      text: ctx.t("scan.use") }));

  const element = h("section", { class: "scanner", "data-kind": kind },
    label ? h("h3", { text: label }) : null,
    h("div", { class: "scan-buttons" },
      h("button", { type: "button", class: "primary scan-camera", onclick: camera,
        text: ctx.t("scan.camera") }),
      h("label", { class: "button secondary scan-photo" }, ctx.t("scan.photo"), photo)),
    video, cancel, manual, message);
  return { element, stop };
}

// A scanner for vehicle cards among `ctx.data.vehicles()`: `open(vehicleId)` for one
// of them, else `unknownKey` ({vehicle}) or "not a vehicle card" in `problem`.
export function vehicleScanner(ctx, { label, unknownKey, problem, open }) {
  return scanner(ctx, { kind: KINDS.vehicle, label, onCode: (code) => {
    const id = code.key.toUpperCase();
    const found = code.kind === KINDS.vehicle
      ? ctx.data.vehicles().find((v) => v.vehicle.vehicle_id.toUpperCase() === id) : null;
    if (found) return open(found.vehicle.vehicle_id);
    problem.textContent = code.kind === KINDS.vehicle ? ctx.t(unknownKey, { vehicle: code.key })
      : ctx.t("scan.wrong_kind_v");
    problem.hidden = false;
    return null;
  } });
}
