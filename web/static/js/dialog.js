// Modal dialogs the same way everywhere: the focus stays inside while one is
// open, Escape closes it, and the focus goes back to the control that opened it.

import { h } from "./ui.js";

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/** @param {HTMLElement} root */
function focusables(root) {
  return /** @type {HTMLElement[]} */ ([...root.querySelectorAll(FOCUSABLE)]).filter(
    (el) => !el.closest("[hidden]") && el.offsetParent !== null,
  );
}

/**
 * Show `dialog` (a <dialog> already in the page) as a modal. When it closes,
 * however (Escape, a button, `dialog.close()`), it is removed and the focus
 * returns to `opener`, or to whatever had it before when `opener` is gone.
 * @param {HTMLDialogElement} dialog
 * @param {HTMLElement | null} [opener]
 */
export function showModal(dialog, opener) {
  const before = /** @type {HTMLElement | null} */ (document.activeElement);
  dialog.addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    const items = focusables(dialog);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    // Tab past either end wraps around inside the dialog, never out to the page or the browser.
    if (ev.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    const back = opener && opener.isConnected && !opener.closest("[hidden]") ? opener : before;
    if (back && back.isConnected) back.focus();
  });
  dialog.showModal();
}

/**
 * Ask before an action that cannot be taken back by a click. Resolves true
 * when confirmed.
 * @param {{ title: string, text: string, confirm: string, danger?: boolean, opener?: HTMLElement | null }} o
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm, danger = false, opener = null }) {
  const id = `confirm-${Math.random().toString(36).slice(2)}`;
  const yes = h("button", { type: "button", class: danger ? "danger-solid" : "primary" }, confirm);
  const no = h("button", { type: "button" }, "Cancel");
  const dialog = /** @type {HTMLDialogElement} */ (
    h(
      "dialog",
      { class: "dialog", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text` },
      h(
        "div",
        { class: "confirm-form" },
        h("h2", { id: `${id}-title` }, title),
        h("p", { id: `${id}-text` }, text),
        h("div", { class: "buttons" }, no, yes),
      ),
    )
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer = false;
    yes.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => resolve(answer));
    showModal(dialog, opener);
    // The safe choice has the focus: an Enter never confirms by accident.
    no.focus();
  });
}
