// Drips (/drips): the organization's drips with their steps; owners and admins
// make new ones (steps with intervals counted from when the drip is applied)
// and delete them. Senders apply them from the inbox composer.
import { api, get, items, post } from "../api.js";
import { confirmDialog, draftStore, formErrors } from "../forms.js";
import { after } from "../inbox_automation.js";
import { isAdmin, organizerPage } from "../nav.js";
import { errorText, fill, h, message, notice } from "../ui.js";

const { user, root } = await organizerPage({ title: "Drips" });
const list = h("ul", { class: "reply-list", id: "drips" });
const drafts = draftStore("drips.new");
const UNIT_SECONDS = { minutes: 60, hours: 3600, days: 86400 };

/** "after 3 days": a step's interval without a date (the preview in the inbox adds it). */
function interval(seconds) {
  return after(seconds, new Date()).replace(/ \(.*\)$/, "");
}

function item(d) {
  return h("li", { class: "card reply", dataset: { drip: String(d.id) } },
    h("h3", {}, d.name),
    h("ol", { class: "drip-steps" }, ...d.steps.map((s) => h("li", {}, h("span", { class: "conv-meta" }, interval(s.after_seconds)), " ", s.body))),
    isAdmin(user)
      ? h("div", { class: "buttons start" }, h("button", {
        type: "button", class: "danger", "aria-label": `Delete ${d.name}`,
        onclick: () => confirmDialog({
          title: `Delete “${d.name}”?`,
          text: "Texts it already scheduled still go; it can no longer be applied.",
          confirm: "Delete",
          danger: true,
          action: async () => {
            await api("DELETE", `/api/drips/${d.id}`);
            return true;
          },
        }).then(async (done) => {
          if (done) {
            notice("Drip deleted.", "ok");
            await load();
          }
        }),
      }, "Delete"))
      : null);
}

async function load() {
  const drips = items(await get("/api/drips"), "drips");
  fill(list, drips.length ? drips.map(item) : h("li", { class: "muted" }, "No drips yet."));
  document.body.dataset.loaded = "true";
}

let seq = 0;
const steps = h("ol", { class: "drip-steps-form" });

/** One step's fields: the interval (a number and a unit) and the text. */
function stepRow(value = { amount: "1", unit: "days", body: "" }) {
  seq += 1;
  const n = seq;
  const amount = h("input", { type: "number", id: `step-amount-${n}`, min: 0, step: 1, value: value.amount, required: true });
  const unit = h("select", { id: `step-unit-${n}`, "aria-label": `Step ${n} unit` },
    ...Object.keys(UNIT_SECONDS).map((u) => h("option", { value: u, selected: u === value.unit }, u)));
  const body = h("textarea", { id: `step-body-${n}`, rows: 2, maxlength: 1600 }, value.body);
  const remove = h("button", { type: "button", "aria-label": `Remove step ${n}`, onclick: () => { li.remove(); save(); } }, "Remove");
  const li = h("li", { class: "drip-step" },
    h("div", { class: "field" }, h("label", { for: amount.id }, "Send after"), h("span", { class: "inline" }, amount, unit)),
    h("div", { class: "field" }, h("label", { for: body.id }, "Text"), body),
    remove);
  return li;
}

function stepValues() {
  return [...steps.children].map((li) => ({
    amount: /** @type {HTMLInputElement} */ (li.querySelector("input")).value,
    unit: /** @type {HTMLSelectElement} */ (li.querySelector("select")).value,
    body: /** @type {HTMLTextAreaElement} */ (li.querySelector("textarea")).value,
  }));
}

const name = h("input", { id: "drip-name", maxlength: 200 });
const form = h("form", { class: "card settings-form", id: "new-drip", novalidate: true },
  h("h2", {}, "New drip"),
  h("p", { class: "muted" }, "Each step's time counts from when the drip is applied: steps of 1, 3 and 5 days send one, three and five days later."),
  h("div", { class: "field", dataset: { field: "name" } }, h("label", { for: name.id }, "Name"), name),
  steps,
  h("div", { class: "buttons start" },
    h("button", { type: "button", onclick: () => { steps.append(stepRow()); save(); } }, "Add step"),
    h("button", { type: "submit", class: "primary" }, "Save drip")));
const errors = formErrors(form);

function save() {
  drafts.save({ name: name.value, steps: stepValues() });
}

form.addEventListener("input", save);
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errors.clear();
  const body = {
    name: name.value,
    steps: stepValues().map((s) => ({ after_seconds: Math.round(Number(s.amount) * UNIT_SECONDS[s.unit]), body: s.body })),
  };
  try {
    await post("/api/drips", body);
    drafts.clear();
    name.value = "";
    fill(steps, stepRow());
    notice("Drip saved.", "ok");
    await load();
  } catch (err) {
    errors.show(err);
  }
});

const draft = drafts.load();
name.value = (draft && draft.name) || "";
fill(steps, ...((draft && draft.steps && draft.steps.length) ? draft.steps.map(stepRow) : [stepRow()]));

root.append(h("p", { class: "muted" }, "Texts sent one after another to an inbox contact until they answer."), list, isAdmin(user) ? form : null);
try {
  await load();
} catch (err) {
  message(list, errorText(err), "error");
}
