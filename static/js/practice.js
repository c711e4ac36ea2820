// Practice blocks: the block clock and keyboard shortcuts. Plain JavaScript; every action it
// takes is a click on a button or link the page already has, so the page works without it.
(function () {
  "use strict";

  // --- The block clock ------------------------------------------------------------------------
  // The server computes the seconds left on every page; this only counts them down. At zero it
  // ends the block (the server would end it on the next request anyway).
  function format(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function startClock(clock) {
    const endsAt = Date.now() + Number(clock.dataset.timeLeft) * 1000;
    let ended = false;
    function tick() {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      clock.textContent = format(left);
      clock.classList.toggle("is-low", left < 300);
      if (left === 0 && !ended) {
        ended = true;
        const end = document.getElementById("block-end-form");
        if (end) end.submit(); // submit() skips the confirmation: time is up
        return;
      }
      window.setTimeout(tick, 250);
    }
    tick();
  }

  document.querySelectorAll(".block-clock[data-time-left]").forEach(function (clock) {
    if (clock.hasAttribute("data-running")) startClock(clock);
    else clock.textContent = format(Number(clock.dataset.timeLeft));
  });

  // --- Keyboard shortcuts ---------------------------------------------------------------------
  const COMMANDS = new Set(["m", "n", "p", "x"]);
  let striking = false;

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    const tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") return true;
    return tag === "input" && !["radio", "checkbox", "button", "submit"].includes(target.type);
  }

  function optionIndex(key) {
    if (/^[1-9]$/.test(key)) return Number(key) - 1;
    if (/^[a-z]$/.test(key) && !COMMANDS.has(key)) return key.charCodeAt(0) - 97;
    return null;
  }

  function setStriking(on) {
    striking = on;
    const hint = document.getElementById("block-strike-hint");
    if (hint) hint.hidden = !on;
  }

  function click(selector) {
    const element = document.querySelector(selector);
    if (!element) return false;
    element.click();
    return true;
  }

  function pick(index) {
    const radios = document.querySelectorAll('#block-question input[name="choice"]');
    const radio = radios[index];
    if (!radio || radio.disabled) return;
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true })); // htmx saves the choice
  }

  function strike(index) {
    const row = document.querySelector('#block-question .block-option[data-option="' + index + '"]');
    const button = row && row.querySelector(".block-strike");
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (!document.getElementById("block-question")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const index = optionIndex(key);

    if (striking) {
      setStriking(false);
      if (index !== null) {
        event.preventDefault();
        strike(index);
        return;
      }
    }
    if (index !== null) {
      event.preventDefault();
      pick(index);
    } else if (key === "x") {
      setStriking(true);
    } else if (key === "Enter") {
      const tag = event.target.tagName.toLowerCase();
      if (tag === "button" || tag === "a" || tag === "summary") return; // their own Enter
      if (click("#block-submit")) event.preventDefault();
    } else if (key === "m") {
      click("#block-mark");
    } else if (key === "n" || key === "ArrowRight") {
      if (click("#block-next")) event.preventDefault();
    } else if (key === "p" || key === "ArrowLeft") {
      if (click("#block-prev")) event.preventDefault();
    } else if (key === "Escape") {
      setStriking(false);
    }
  });

  // Right-click on an option strikes it out (or restores it), as in the exam software.
  document.addEventListener("contextmenu", function (event) {
    const row = event.target.closest && event.target.closest("#block-question .block-option");
    const button = row && row.querySelector(".block-strike");
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
