// The setup page for convoys: total the seats of the vehicles ticked as they are
// ticked, and give each group of alike vehicles a button that ticks them all (or,
// when all are ticked, none). Without scripts the form works the same, box by box.
"use strict";
(() => {
  const pick = document.querySelector("[data-vehicle-pick]");
  const total = document.querySelector("[data-seat-total]");
  if (!pick || !total) return;
  const update = () => {
    let seats = 0;
    for (const box of pick.querySelectorAll("input[type=checkbox]:checked")) {
      seats += Number(box.dataset.seats) || 0;
    }
    total.textContent = String(seats);
  };
  for (const group of pick.querySelectorAll("[data-fleet-group]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small tick-all";
    button.textContent = pick.dataset.tickAll;
    button.addEventListener("click", () => {
      const boxes = [...group.querySelectorAll("input[type=checkbox]")];
      const all = boxes.every((box) => box.checked);
      for (const box of boxes) box.checked = !all;
      update();
    });
    group.querySelector(".choice").before(button);
  }
  pick.addEventListener("change", update);
  update();
})();
