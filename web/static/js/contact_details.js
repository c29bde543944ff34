// Contact details (seed 004): names, the phone (read-only), custom fields,
// the consent status and the "Opted out" checkbox, saved with "Update Contact
// Details" (PATCH /api/address-book/{id}).

import { api, get } from "./api.js";
import { showModal } from "./dialog.js";
import { errorText, fmtTime, h, notice } from "./ui.js";

let dialogs = 0;

/** The consent status as the header and the details show it. */
export function consentText(consent) {
  return consent && consent.sent_at ? `Consent sent ${fmtTime(consent.sent_at)}` : "No consent message yet";
}

/**
 * Open the details of address-book contact `contactId`. `onSaved` gets the
 * entry as the server answered it, once it is saved.
 * @param {{ contactId: number, consentRequired: boolean, opener?: HTMLElement | null, onSaved: (entry: any) => unknown }} o
 */
export async function openContactDetails({ contactId, consentRequired, opener = null, onSaved }) {
  let entry;
  try {
    entry = await get(`/api/address-book/${contactId}`);
  } catch (err) {
    notice(errorText(err), "error");
    return;
  }
  dialogs += 1;
  const key = `contact-${dialogs}`;
  const first = h("input", { id: `${key}-first`, autocomplete: "off", maxlength: 200, value: entry.first_name });
  const last = h("input", { id: `${key}-last`, autocomplete: "off", maxlength: 200, value: entry.last_name });
  const phone = h("input", { id: `${key}-phone`, readonly: true, value: entry.phone });
  const fieldInputs = Object.entries(entry.fields || {}).map(([name, value], i) => ({
    name,
    input: h("input", { id: `${key}-field-${i}`, autocomplete: "off", maxlength: 10000, value: value ?? "" }),
  }));
  const optedOut = h("input", { type: "checkbox", id: `${key}-opted-out`, checked: entry.opted_out });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary" }, "Update Contact Details");
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h("form", { class: "dialog-form" },
    h("h2", { id: `${key}-title` }, "Contact Details"),
    h("div", { class: "field" }, h("label", { for: first.id }, "First name"), first),
    h("div", { class: "field" }, h("label", { for: last.id }, "Last name"), last),
    h("div", { class: "field" }, h("label", { for: phone.id }, "Phone"), phone),
    fieldInputs.map(({ name, input }) => h("div", { class: "field" }, h("label", { for: input.id }, name), input)),
    consentRequired ? h("p", { id: `${key}-consent` }, consentText(entry.consent)) : null,
    h("label", { class: "checkbox", for: optedOut.id }, optedOut, " Opted out"),
    error,
    h("div", { class: "buttons" }, cancel, save));
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "dialog", "aria-labelledby": `${key}-title` }, form));
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    /** @type {Record<string, unknown>} */
    const changes = { first_name: first.value.trim(), last_name: last.value.trim() };
    if (fieldInputs.length) changes.fields = Object.fromEntries(fieldInputs.map(({ name, input }) => [name, input.value]));
    // The opt-out is the phone's in the whole organization: sent only when it changes.
    if (optedOut.checked !== entry.opted_out) changes.opted_out = optedOut.checked;
    save.disabled = true;
    error.hidden = true;
    try {
      const saved = await api("PATCH", `/api/address-book/${contactId}`, changes);
      dialog.close();
      notice("Contact details updated.", "ok");
      await onSaved(saved);
    } catch (err) {
      // What was typed stays in the form.
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  });
  document.body.append(dialog);
  showModal(dialog, opener);
  first.focus();
}
