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
 * /api/organization returns its key (for the provider's fields: `provider`),
 * so a server without it shows nothing false. The provider's fields are sent
 * together as `provider` when one of them changed; its auth token is never
 * shown, only sent when typed.
 *
 * @typedef {"checkbox" | "text" | "textarea" | "number" | "select" | "password"} Kind
 * @type {{ key: string, label: string, kind: Kind, help: string, provider?: boolean, options?: [string, string][] }[]}
 */
const SETTINGS = [
  {
    key: "redact_phones",
    label: "Phone redaction",
    kind: "checkbox",
    help: "Senders see contacts' phone numbers masked (the last digits only); the export and sweepers still see them.",
  },
  {
    key: "opt_out_message",
    label: "Opt-out message",
    kind: "textarea",
    help: "Sent once to a contact who texts STOP (or another opt-out keyword). Leave it empty to send none, e.g. when your provider answers STOP itself.",
  },
  {
    key: "plain_punctuation",
    label: "Plain punctuation",
    kind: "checkbox",
    help: "Curly quotes, dashes and ellipses become plain ones before a text is sent, so a pasted apostrophe does not triple its SMS segments.",
  },
  {
    key: "consent_message",
    label: "Consent message",
    kind: "textarea",
    help: "Sent before the first inbox text to a phone that has not had it, when required below.",
  },
  {
    key: "consent_required",
    label: "Require consent before the first text",
    kind: "checkbox",
    help: "The first inbox text to each phone is preceded by the consent message, and the inbox shows who has had it.",
  },
  {
    key: "allow_delete",
    label: "Allow deleting conversations",
    kind: "checkbox",
    help: "Owners and admins may delete a conversation and all its messages, which cannot be undone. Opt-outs stay.",
  },
  {
    key: "allow_drips",
    label: "Allow drips",
    kind: "checkbox",
    help: "Drips (texts sent at set times after they are applied) may be applied to inbox conversations.",
  },
  {
    key: "kind",
    label: "SMS provider",
    kind: "select",
    provider: true,
    options: [["simulator", "Simulator (nothing is really sent)"], ["twilio", "Twilio"]],
    help: "Where texts go. Practice campaigns always use the simulator.",
  },
  { key: "account_sid", label: "Twilio Account SID", kind: "text", provider: true, help: "AC followed by 32 characters, from the Twilio console." },
  {
    key: "auth_token",
    label: "Twilio auth token",
    kind: "password",
    provider: true,
    help: "Stored encrypted and never shown again. Leave it empty to keep the saved one.",
  },
  {
    key: "messaging_service_sid",
    label: "Messaging Service SID",
    kind: "text",
    provider: true,
    help: "Optional: MG followed by 32 characters, to send through a Messaging Service instead of the number.",
  },
  {
    key: "send_rate_per_second",
    label: "Texts per second",
    kind: "number",
    help: "The most texts handed to the provider each second, across every server; the rest wait in the queue.",
  },
];

/** @type {Map<string, HTMLInputElement>} */
const inputs = new Map();
const save = h("button", { type: "submit", class: "primary" }, "Save");
const form = h("form", { class: "card settings-form", id: "organization-form", novalidate: true });
const errors = formErrors(form);
/** @type {any} */
let shown = null;

function valueOf(/** @type {HTMLInputElement} */ input, kind) {
  if (kind === "checkbox") return input.checked;
  if (kind === "number") return input.value === "" ? null : Number(input.value);
  return input.value;
}

function setValue(/** @type {HTMLInputElement} */ input, kind, value) {
  if (kind === "checkbox") input.checked = !!value;
  else input.value = value ?? "";
}

const shownSettings = () => SETTINGS.filter((s) => inputs.has(s.key));
const read = (s) => valueOf(/** @type {HTMLInputElement} */ (inputs.get(s.key)), s.kind);

/** What the form holds (the auth token left out: a secret is not kept in a draft). */
function current() {
  return Object.fromEntries(shownSettings().filter((s) => s.kind !== "password").map((s) => [s.key, read(s)]));
}

/** The PATCH body: the plain settings, and `provider` only when one of its fields changed. */
function body() {
  /** @type {Record<string, any>} */
  const out = {};
  for (const s of shownSettings().filter((s) => !s.provider)) {
    const value = read(s);
    // An empty message means none.
    out[s.key] = s.kind === "textarea" ? (String(value).trim() ? value : null) : value;
  }
  const fields = Object.fromEntries(shownSettings().filter((s) => s.provider).map((s) => [s.key, String(read(s)).trim()]));
  const before = shown && shown.provider ? shown.provider : {};
  const changed = Object.keys(fields).some((k) => fields[k] !== (k === "auth_token" ? "" : before[k] ?? ""));
  if ("kind" in fields && changed) {
    out.provider = fields.kind === "twilio"
      ? {
          kind: "twilio",
          account_sid: fields.account_sid,
          ...(fields.auth_token ? { auth_token: fields.auth_token } : {}),
          messaging_service_sid: fields.messaging_service_sid || null,
        }
      : { kind: "simulator" };
  }
  return out;
}

/** The Twilio fields matter only with Twilio. */
function showProviderFields() {
  const kind = inputs.get("kind");
  for (const s of SETTINGS.filter((s) => s.provider && s.key !== "kind")) {
    const holder = form.querySelector(`[data-field="${s.key}"]`);
    if (holder) /** @type {HTMLElement} */ (holder).hidden = !kind || kind.value !== "twilio";
  }
}

form.addEventListener("input", () => {
  showProviderFields();
  drafts.save(current());
});
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errors.clear();
  save.disabled = true;
  try {
    show(await api("PATCH", "/api/organization", body()));
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
  shown = org;
  heading.textContent = `${org.name}: settings`;
  about.replaceChildren(h("dt", {}, "Sending number"), h("dd", { id: "sending-number" }, org.sending_number || "none yet"));
  for (const s of SETTINGS) {
    const input = inputs.get(s.key);
    if (!input) continue;
    if (s.kind === "password") input.value = "";
    else setValue(input, s.kind, s.provider ? (org.provider || {})[s.key] : org[s.key]);
  }
  showProviderFields();
}

function control(s, id) {
  const common = { id, name: s.key, "aria-describedby": `${id}-help` };
  if (s.kind === "textarea") return h("textarea", { ...common, rows: 3, maxlength: 1600 });
  if (s.kind === "select") return h("select", common, (s.options || []).map(([value, text]) => h("option", { value }, text)));
  if (s.kind === "number") return h("input", { ...common, type: "number", min: 1, step: 1, inputmode: "numeric" });
  if (s.kind === "password") return h("input", { ...common, type: "password", autocomplete: "new-password" });
  return h("input", { ...common, type: s.kind, autocomplete: "off" });
}

async function main() {
  let org;
  try {
    org = await get("/api/organization");
  } catch (err) {
    message(root, errorText(err), "error");
    return;
  }
  for (const s of SETTINGS.filter((s) => (s.provider ? "provider" in org : s.key in org))) {
    const id = `setting-${s.key}`;
    const input = /** @type {HTMLInputElement} */ (control(s, id));
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
    showProviderFields();
    notice("Your unsaved changes were restored.");
  }
  document.body.dataset.loaded = "true";
}

main();
