// The setup page for convoys: total the seats of the vehicles ticked, as they are
// ticked. The server totals them too when the form is shown again.
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
  pick.addEventListener("change", update);
  update();
})();
