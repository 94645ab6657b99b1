// Reading a QR code: the camera (back camera, frame by frame), a photo taken with the
// phone's own camera app, or the code typed from the card with its check character.
// The browser's BarcodeDetector where it reads QR codes (Android Chrome), else the
// vendored zxing-wasm reader, its .wasm served from this app, never from a CDN.

import { CodeError, parse, readPayload } from "./codes.js";
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
      return (await reader.readBarcodes(input, options)).filter((r) => r.isValid).map((r) => r.text);
    },
  };
}

// The decoder this browser uses: {name: "native"|"zxing", read(Blob|video) → [text]}.
export function decoder() {
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

// What a scanned text names, {kind, key}, or CodeError.
export const understand = (text) => readPayload(text);

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
  const take = (texts) => {
    if (!texts.length) return false;
    try {
      found(understand(texts[0]));
    } catch (error) {
      fail(error);
    }
    return true;
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
    message.hidden = true;
    try {
      const read = await decoder();
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
      if (!take(await read.read(file))) {
        message.textContent = ctx.t("scan.none_found");
        message.hidden = false;
      }
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
    h("button", { type: "button", class: "secondary scan-use", onclick: use, text: ctx.t("scan.use") }));

  const element = h("section", { class: "scanner", "data-kind": kind },
    label ? h("h3", { text: label }) : null,
    h("div", { class: "scan-buttons" },
      h("button", { type: "button", class: "primary scan-camera", onclick: camera,
        text: ctx.t("scan.camera") }),
      h("label", { class: "button secondary scan-photo" }, ctx.t("scan.photo"), photo)),
    video, cancel, manual, message);
  return { element, stop };
}
