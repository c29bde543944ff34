// What every settings form does the same way: the API's errors next to the
// field they name, drafts kept in sessionStorage until saved, and dialogs
// that confirm an action.

import { h } from "./ui.js";

/**
 * The field an API error names: its messages quote the key first, e.g.
 * "'survey_questions[0].text' must not be empty." → "survey_questions".
 * @param {{ message?: string } | null | undefined} err
 * @returns {string | null}
 */
export function fieldOf(err) {
  const m = err && err.message ? /'([A-Za-z_][A-Za-z0-9_]*)/.exec(err.message) : null;
  return m ? m[1] : null;
}

/**
 * A form's error display: `show(err)` puts the message next to the field
 * whose `data-field` the error names (marking it invalid and focusing it),
 * or in the form's own alert when it names none; `clear()` removes them.
 * `codes` names the field of errors whose message quotes no key.
 * @param {HTMLElement} form
 * @param {Record<string, string>} [codes]  error code → field
 */
export function formErrors(form, codes = {}) {
  const general = h("p", { class: "form-error", role: "alert", hidden: true });
  form.prepend(general);
  const clear = () => {
    general.hidden = true;
    general.textContent = "";
    for (const el of form.querySelectorAll(".field-error")) el.remove();
    for (const el of form.querySelectorAll("[aria-invalid]")) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
  };
  /** @param {{ message?: string, code?: string }} err */
  const show = (err) => {
    clear();
    const text = (err && err.message) || "Something went wrong.";
    const name = (err && err.code && codes[err.code]) || fieldOf(err);
    const holder = name ? form.querySelector(`[data-field="${name}"]`) : null;
    if (!holder) {
      general.textContent = text;
      general.hidden = false;
      general.focus?.();
      return;
    }
    const input = /** @type {HTMLElement | null} */ (
      holder.matches("input, textarea, select") ? holder : holder.querySelector("input, textarea, select")
    );
    const id = `${name}-error`;
    const message = h("p", { class: "field-error", id, role: "alert" }, text);
    holder.after(message);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.focus();
    }
  };
  return { show, clear };
}

/**
 * A draft of a form kept in this tab's sessionStorage until it is saved, so
 * a reload, a lost connection or a refused save never loses what was typed.
 * @param {string} key
 */
export function draftStore(key) {
  const full = `shiftline.draft.${key}`;
  return {
    /** @returns {any} */
    load() {
      try {
        const raw = sessionStorage.getItem(full);
        return raw ? JSON.parse(raw) : null;
      } catch {
        return null;
      }
    },
    /** @param {any} value */
    save(value) {
      try {
        sessionStorage.setItem(full, JSON.stringify(value));
      } catch {
        // Storage full or off: the form still works, only the safety net is gone.
      }
    },
    clear() {
      sessionStorage.removeItem(full);
    },
  };
}

let dialogs = 0;

/**
 * Ask before doing `action`. A modal <dialog> (the rest of the page is inert,
 * so the focus stays inside) whose confirm button carries `confirm`; Escape
 * or Cancel closes it, and the focus returns where it was. While `action`
 * runs the buttons wait; if it fails, its error shows in the dialog, which
 * stays open. Resolves with the action's result, or null when cancelled.
 *
 * @template T
 * @param {object} o
 * @param {string} o.title
 * @param {string} o.text
 * @param {string} o.confirm  the confirm button's name (the action's own name)
 * @param {() => Promise<T>} o.action
 * @param {boolean} [o.danger]
 * @returns {Promise<T | null>}
 */
export function confirmDialog({ title, text, confirm, action, danger = false }) {
  dialogs += 1;
  const back = /** @type {HTMLElement | null} */ (document.activeElement);
  const titleId = `dialog-title-${dialogs}`;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const yes = h("button", { type: "submit", class: danger ? "primary danger-fill" : "primary" }, confirm);
  const no = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    { method: "dialog", class: "dialog-form" },
    h("h2", { id: titleId }, title),
    h("p", {}, text),
    error,
    h("div", { class: "buttons" }, no, yes),
  );
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "dialog", "aria-labelledby": titleId }, form));
  document.body.append(dialog);
  return new Promise((resolve) => {
    /** @type {T | null} */
    let result = null;
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (back && back.isConnected) back.focus();
      resolve(result);
    });
    no.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      yes.disabled = no.disabled = true;
      try {
        result = await action();
        dialog.close();
      } catch (err) {
        error.textContent = (err && err.message) || "Something went wrong.";
        error.hidden = false;
        yes.disabled = no.disabled = false;
        no.focus();
      }
    });
    dialog.showModal();
    no.focus(); // the safe choice first
  });
}

/**
 * Download `path` of the API (with this browser's login) as a file named
 * `name`; the browser receives the answer as it streams.
 * @param {string} path
 * @param {string} name
 * @param {string | null} token
 */
export async function download(path, name, token) {
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    let message = `The server answered ${response.status}.`;
    try {
      message = (await response.json()).error.message || message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  saveBlob(await response.blob(), name);
}

/** Offer `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A CSV cell, quoted when needed and defused against spreadsheet formulas. */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
