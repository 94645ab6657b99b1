// Keeps a page's live part ([data-live]) up to date while it is watched: every
// data-refresh seconds, while the tab is visible, it asks data-live-url for the part
// again, saying which ledger sequence it shows (since=); the server answers 204 when
// nothing was recorded since. A hidden tab asks nothing; shown again, it asks at once.
// While a link inside has the keyboard's focus, the part is left as it is.
for (const live of document.querySelectorAll("[data-live][data-live-url]")) {
  const every = Number(live.dataset.refresh) * 1000;
  let timer = null;
  let asking = false;

  const ask = async () => {
    timer = null;
    asking = true;
    try {
      const url = `${live.dataset.liveUrl}&since=${encodeURIComponent(live.dataset.since)}`;
      const answer = await fetch(url, {credentials: "same-origin", cache: "no-store"});
      // Someone on a link inside keeps it: the new part waits for the next turn.
      const busy = live.contains(document.activeElement) && document.activeElement !== live;
      if (answer.status === 200 && !answer.redirected && !busy) {
        const part = new DOMParser().parseFromString(await answer.text(), "text/html");
        const since = part.querySelector("[data-seq]");
        if (since) {  // else not the part (a session ended: the sign-in page)
          live.replaceChildren(...part.body.childNodes);
          live.dataset.since = since.dataset.seq;
        }
      }
    } catch {
      // Offline for a moment: the next turn tries again.
    }
    asking = false;
    plan();
  };

  const plan = () => {
    if (timer === null && !asking && document.visibilityState === "visible") {
      timer = setTimeout(ask, every);
    }
  };

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      if (timer === null && !asking) ask();
    } else if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  });
  plan();
}
