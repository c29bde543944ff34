// Export one conversation (seed 004): a dialog with start and end dates and
// a format; the file downloads when the server has it ready.

import { pageConfig } from "./config.js";
import { showModal } from "./dialog.js";
import { saveBlob } from "./forms.js";
import { h, notice } from "./ui.js";

const DAY_MS = 24 * 3600 * 1000;

/** The server's limit (persistence/rules/export_range.py), read from the page shell: at most this many days from start to end. */
export function maxDays() {
  return pageConfig().export_max_days || 0;
}

/** A yyyy-mm-dd value for a date input, in the person's own time zone. */
function dateValue(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of a yyyy-mm-dd value, or null when it is not a date. */
function midnight(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * The instants to ask for: from the start day's midnight to the end of the end
 * day (both days included), or the reason they cannot be exported.
 * @returns {{ start: Date, end: Date } | { error: string }}
 */
export function exportRange(startValue, endValue, days = maxDays()) {
  const start = midnight(startValue);
  const endDay = midnight(endValue);
  if (!start || !endDay) return { error: "Choose a start and an end date." };
  if (endDay < start) return { error: "The end date is before the start date." };
  const end = new Date(endDay.getFullYear(), endDay.getMonth(), endDay.getDate() + 1);
  // Without the shell's number the server alone decides (it answers range_too_long).
  if (days > 0 && end.getTime() - start.getTime() > days * DAY_MS + 3600 * 1000) {
    // (one hour of slack: a day of a daylight-saving change is 25 hours long)
    const last = new Date(start.getFullYear(), start.getMonth(), start.getDate() + days - 1);
    return { error: `An export covers at most ${days} days: choose an end date no later than ${dateValue(last)}.` };
  }
  return { start, end };
}

let dialogs = 0;

/**
 * Open the export dialog for conversation `id`.
 * @param {{ id: number, token: string, opener?: HTMLElement | null }} o
 */
export function openExport({ id, token, opener = null }) {
  dialogs += 1;
  const key = `export-${dialogs}`;
  const days = maxDays();
  const today = new Date();
  const startInput = h("input", { type: "date", id: `${key}-start`, required: true,
    value: dateValue(new Date(today.getFullYear(), today.getMonth(), today.getDate() - Math.max(days - 1, 0))) });
  const endInput = h("input", { type: "date", id: `${key}-end`, required: true, value: dateValue(today) });
  const csv = h("input", { type: "radio", name: `${key}-format`, id: `${key}-csv`, value: "csv", checked: true });
  const html = h("input", { type: "radio", name: `${key}-format`, id: `${key}-html`, value: "html" });
  const error = h("p", { class: "form-error", role: "alert", id: `${key}-error`, hidden: true });
  const status = h("p", { role: "status", class: "muted" });
  const go = h("button", { type: "submit", class: "primary" }, "Export");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h("form", { class: "dialog-form", novalidate: true },
    h("h2", { id: `${key}-title` }, "Export Messages"),
    h("p", { id: `${key}-hint` }, days ? `Start and end dates must be within ${days} days of each other.` : "Choose the days to export."),
    h("div", { class: "field" }, h("label", { for: startInput.id }, "Start date"), startInput),
    h("div", { class: "field" }, h("label", { for: endInput.id }, "End date"), endInput),
    h("fieldset", { class: "field" }, h("legend", {}, "Format"),
      h("label", { class: "checkbox", for: csv.id }, csv, " CSV"),
      h("label", { class: "checkbox", for: html.id }, html, " HTML")),
    error,
    status,
    h("div", { class: "buttons" }, cancel, go));
  const dialog = /** @type {HTMLDialogElement} */ (
    h("dialog", { class: "dialog", "aria-labelledby": `${key}-title`, "aria-describedby": `${key}-hint` }, form));

  const showError = (text) => {
    error.textContent = text;
    error.hidden = false;
    for (const input of [startInput, endInput]) input.setAttribute("aria-describedby", error.id);
    status.textContent = "";
  };
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const range = exportRange(startInput.value, endInput.value, days);
    if ("error" in range) {
      showError(range.error);
      endInput.focus();
      return;
    }
    const format = html.checked ? "html" : "csv";
    const q = new URLSearchParams({ format, start: range.start.toISOString(), end: range.end.toISOString() });
    go.disabled = true;
    status.textContent = "Preparing the export…";
    try {
      const response = await fetch(`/api/conversations/${id}/export?${q}`, { headers: { Authorization: `Bearer ${token}` } });
      if (!response.ok) {
        let text = `The server answered ${response.status}.`;
        try {
          text = (await response.json()).error.message || text;
        } catch {
          // not JSON: keep the status
        }
        showError(text);
        return;
      }
      saveBlob(await response.blob(), `conversation-${id}.${format}`);
      dialog.close();
      notice("The export is downloading.", "ok");
    } catch {
      showError("The server cannot be reached right now.");
    } finally {
      go.disabled = false;
      if (!error.hidden) status.textContent = "";
    }
  });
  document.body.append(dialog);
  showModal(dialog, opener);
  startInput.focus();
}
