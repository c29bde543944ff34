// Organization settings (owners and admins): whatever PATCH /api/organization
// accepts, one field per setting, saved together.
import { api, get } from "../api.js";
import { draftStore, formErrors } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, h, message, notice } from "../ui.js";

const { root, heading } = await organizerPage({ title: "Organization settings", admins: true });
const drafts = draftStore("organization");

/**
 * The settings this page edits. A setting shows only when GET
 * /api/organization returns its key, so a server without it shows nothing
 * false.
 *
 * SLOTS for the settings being added to PATCH /api/organization: the SMS
 * provider and its pace, and the opt-out message each get an entry here
 * (kind "text", "number" or "select") when their keys land in the API.
 *
 * @type {{ key: string, label: string, kind: "checkbox" | "text" | "number", help: string }[]}
 */
const SETTINGS = [
  {
    key: "redact_phones",
    label: "Phone redaction",
    kind: "checkbox",
    help: "Senders see contacts' phone numbers masked (the last digits only); the export and sweepers still see them.",
  },
];

/** @type {Map<string, HTMLInputElement>} */
const inputs = new Map();
const save = h("button", { type: "submit", class: "primary" }, "Save");
const form = h("form", { class: "card settings-form", id: "organization-form", novalidate: true });
const errors = formErrors(form);

function valueOf(/** @type {HTMLInputElement} */ input, kind) {
  if (kind === "checkbox") return input.checked;
  if (kind === "number") return input.value === "" ? null : Number(input.value);
  return input.value;
}

function setValue(/** @type {HTMLInputElement} */ input, kind, value) {
  if (kind === "checkbox") input.checked = !!value;
  else input.value = value ?? "";
}

function current() {
  return Object.fromEntries(SETTINGS.filter((s) => inputs.has(s.key)).map((s) => [s.key, valueOf(/** @type {HTMLInputElement} */ (inputs.get(s.key)), s.kind)]));
}

form.addEventListener("input", () => drafts.save(current()));
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errors.clear();
  save.disabled = true;
  try {
    show(await api("PATCH", "/api/organization", current()));
    drafts.clear();
    notice("Settings saved.", "ok");
  } catch (err) {
    errors.show(err);
  } finally {
    save.disabled = false;
  }
});

const about = h("dl", { class: "about" });

function show(org) {
  heading.textContent = `${org.name}: settings`;
  about.replaceChildren(h("dt", {}, "Sending number"), h("dd", { id: "sending-number" }, org.sending_number || "none yet"));
  for (const s of SETTINGS) {
    const input = inputs.get(s.key);
    if (input) setValue(input, s.kind, org[s.key]);
  }
}

async function main() {
  let org;
  try {
    org = await get("/api/organization");
  } catch (err) {
    message(root, errorText(err), "error");
    return;
  }
  for (const s of SETTINGS.filter((s) => s.key in org)) {
    const id = `setting-${s.key}`;
    const input = /** @type {HTMLInputElement} */ (h("input", { id, name: s.key, type: s.kind, "aria-describedby": `${id}-help` }));
    inputs.set(s.key, input);
    const help = h("p", { class: "muted hint", id: `${id}-help` }, s.help);
    form.append(
      s.kind === "checkbox"
        ? h("div", { class: "field", dataset: { field: s.key } }, h("div", { class: "check" }, input, h("label", { for: id }, s.label)), help)
        : h("div", { class: "field", dataset: { field: s.key } }, h("label", { for: id }, s.label), input, help),
    );
  }
  form.append(h("div", { class: "buttons start" }, save));
  root.append(about, form);
  show(org);
  const draft = drafts.load();
  if (draft) {
    for (const s of SETTINGS) if (inputs.has(s.key) && s.key in draft) setValue(/** @type {HTMLInputElement} */ (inputs.get(s.key)), s.kind, draft[s.key]);
    notice("Your unsaved changes were restored.");
  }
  document.body.dataset.loaded = "true";
}

main();
