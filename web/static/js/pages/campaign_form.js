// A campaign's setup: the form (new or existing), its lifecycle and its export.
import { api, get, post } from "../api.js";
import { fillTemplate, stateText } from "../campaign.js";
import { confirmDialog, download, draftStore, formErrors } from "../forms.js";
import { organizerPage } from "../nav.js";
import { segmentText } from "../sms.js";
import { textingBody, textingFields, textingFromCampaign } from "../texting_hours.js";
import { errorText, fill, h, message, notice } from "../ui.js";

const match = /^\/campaigns\/(\d+)\/setup$/.exec(location.pathname);
const cid = match ? Number(match[1]) : null;
const { user, token, root, heading } = await organizerPage({ title: cid ? "Campaign setup" : "New campaign", cid: cid ?? undefined });
const drafts = draftStore(`campaign.${cid ?? "new"}`);
/** @type {any} */
let campaign = null;

// A contact to show the placeholders with.
const SAMPLE_CONTACT = { first_name: "Alex" };

// ---- the form -------------------------------------------------------------

const title = h("input", { id: "title", name: "title", required: true, maxlength: 200, autocomplete: "off" });
const initial = h("textarea", { id: "initial", name: "initial_message", rows: 4, maxlength: 1600, required: true });
const preview = h("p", { class: "preview", id: "initial-preview" });
const segments = h("p", { class: "muted", id: "initial-segments", "aria-live": "polite" });
const followUp = h("textarea", { id: "follow-up", name: "follow_up_message", rows: 3, maxlength: 1600 });
const selfAssign = h("input", { type: "checkbox", id: "self-assign", name: "self_assign" });
const windowStart = h("input", { type: "datetime-local", id: "window-start" });
const windowEnd = h("input", { type: "datetime-local", id: "window-end" });
const texting = textingFields();
const alertMinutes = h("input", { type: "number", id: "waiting-alert", name: "waiting_alert_minutes", min: 1, max: 1440, inputmode: "numeric" });
const autoMinutes = h("input", { type: "number", id: "auto-rebalance", name: "auto_rebalance_after_minutes", min: 1, max: 1440, inputmode: "numeric" });
// Shift settings belong to a campaign that exists (the API sets them with PATCH).
const shiftFields = h(
  "fieldset",
  { class: "field", id: "shift-settings", hidden: cid === null },
  h("legend", {}, "During the shift"),
  h("div", { class: "field", dataset: { field: "waiting_alert_minutes" } },
    h("label", { for: alertMinutes.id }, "Highlight a reply waiting longer than (minutes)"), alertMinutes),
  h("div", { class: "field", dataset: { field: "auto_rebalance_after_minutes" } },
    h("label", { for: autoMinutes.id }, "Move the waiting replies of a sender offline for (minutes)"),
    h("p", { class: "muted hint", id: "auto-rebalance-hint" }, "They go to the online senders, automatically. Leave empty to move them only by hand."),
    autoMinutes),
);
autoMinutes.setAttribute("aria-describedby", "auto-rebalance-hint");
const questionList = h("ol", { class: "questions", id: "questions" });
const addQuestion = h("button", { type: "button", id: "add-question" }, "Add question");
const questionsNote = h("p", { class: "muted", hidden: true }, "Survey questions are fixed once the campaign is launched.");
const save = h("button", { type: "submit", class: "primary" }, "Save");

/** @type {{ text: string, answers: string }[]} */
let questions = [];

const form = h(
  "form",
  { class: "card settings-form", id: "campaign-form", novalidate: true },
  h("div", { class: "field", dataset: { field: "title" } }, h("label", { for: title.id }, "Title"), title),
  h(
    "div",
    { class: "field", dataset: { field: "initial_message" } },
    h("label", { for: initial.id }, "Initial message"),
    h("p", { class: "muted hint", id: "initial-hint" }, "Placeholders: %ContactFirstName%, %SenderFirstName%, %SenderLastName%"),
    initial,
  ),
  h("section", { class: "preview-box", "aria-label": "Message preview" }, h("h2", { class: "small" }, "Preview"), preview, segments),
  h("div", { class: "field", dataset: { field: "follow_up_message" } }, h("label", { for: followUp.id }, "Follow-up message"), followUp),
  h("div", { class: "check", dataset: { field: "self_assign" } }, selfAssign, h("label", { for: selfAssign.id }, "Self-assign"),
    h("span", { class: "muted" }, " (senders may take unassigned conversations themselves)")),
  h(
    "fieldset",
    { class: "field", dataset: { field: "sending_window" } },
    h("legend", {}, "Sending window"),
    h("p", { class: "muted hint" }, "When initial messages may go out, in your browser's time zone; leave both empty for no limit."),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: windowStart.id }, "Window start"), windowStart),
      h("div", { class: "field" }, h("label", { for: windowEnd.id }, "Window end"), windowEnd)),
  ),
  texting.element,
  shiftFields,
  h("fieldset", { class: "field", dataset: { field: "survey_questions" } }, h("legend", {}, "Survey questions"), questionsNote, questionList, addQuestion),
  h("div", { class: "buttons" }, save),
);
initial.setAttribute("aria-describedby", "initial-hint");
const errors = formErrors(form);

function renderPreview() {
  const text = fillTemplate(initial.value, user, SAMPLE_CONTACT);
  preview.textContent = text || "—";
  segments.textContent = segmentText(text);
}

function renderQuestions() {
  const locked = !!campaign && campaign.status !== "draft";
  questionsNote.hidden = !locked;
  addQuestion.disabled = locked;
  fill(
    questionList,
    questions.map((q, i) => {
      const n = i + 1;
      const text = h("input", { id: `q-${i}`, value: q.text, maxlength: 1000, disabled: locked });
      text.addEventListener("input", () => { q.text = text.value; keepDraft(); });
      const answers = h("textarea", { id: `q-${i}-answers`, rows: 3, disabled: locked }, q.answers);
      answers.addEventListener("input", () => { q.answers = answers.value; keepDraft(); });
      const move = (/** @type {number} */ by) => () => {
        const j = i + by;
        [questions[i], questions[j]] = [questions[j], questions[i]];
        renderQuestions();
        keepDraft();
        /** @type {HTMLElement | null} */ (questionList.querySelector(`#q-${j}`))?.focus();
      };
      return h(
        "li",
        { class: "question" },
        h("div", { class: "field" }, h("label", { for: text.id }, `Question ${n}`), text),
        h("div", { class: "field" }, h("label", { for: answers.id }, `Answers to question ${n} (one per line)`), answers),
        h(
          "div",
          { class: "buttons start" },
          h("button", { type: "button", disabled: locked || i === 0, onclick: move(-1) }, "Move up", h("span", { class: "sr-only" }, ` question ${n}`)),
          h("button", { type: "button", disabled: locked || i === questions.length - 1, onclick: move(1) }, "Move down", h("span", { class: "sr-only" }, ` question ${n}`)),
          h("button", {
            type: "button", class: "danger", disabled: locked,
            onclick: () => {
              questions.splice(i, 1);
              renderQuestions();
              keepDraft();
              addQuestion.focus();
            },
          }, "Remove", h("span", { class: "sr-only" }, ` question ${n}`)),
        ),
      );
    }),
  );
}

addQuestion.addEventListener("click", () => {
  questions.push({ text: "", answers: "" });
  renderQuestions();
  keepDraft();
  /** @type {HTMLElement | null} */ (questionList.querySelector(`#q-${questions.length - 1}`))?.focus();
});

/** A datetime-local value (the browser's time) from an ISO instant, and back. */
function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function formState() {
  return {
    title: title.value,
    initial_message: initial.value,
    follow_up_message: followUp.value,
    self_assign: selfAssign.checked,
    window_start: windowStart.value,
    window_end: windowEnd.value,
    ...texting.state(),
    waiting_alert_minutes: alertMinutes.value,
    auto_rebalance_after_minutes: autoMinutes.value,
    questions: questions.map((q) => ({ ...q })),
  };
}

function setForm(state) {
  title.value = state.title || "";
  initial.value = state.initial_message || "";
  followUp.value = state.follow_up_message || "";
  selfAssign.checked = !!state.self_assign;
  windowStart.value = state.window_start || "";
  windowEnd.value = state.window_end || "";
  texting.set(state);
  // A draft kept before these fields existed leaves the campaign's values.
  if ("waiting_alert_minutes" in state) alertMinutes.value = state.waiting_alert_minutes ?? "";
  if ("auto_rebalance_after_minutes" in state) autoMinutes.value = state.auto_rebalance_after_minutes ?? "";
  questions = (state.questions || []).map((q) => ({ text: q.text || "", answers: q.answers || "" }));
  renderQuestions();
  renderPreview();
}

function fromCampaign(c) {
  return {
    title: c.title,
    initial_message: c.initial_message,
    follow_up_message: c.follow_up_message || "",
    self_assign: c.self_assign,
    window_start: toLocalInput(c.sending_window && c.sending_window.start),
    window_end: toLocalInput(c.sending_window && c.sending_window.end),
    ...textingFromCampaign(c),
    waiting_alert_minutes: String(c.waiting_alert_minutes ?? 10),
    auto_rebalance_after_minutes: c.auto_rebalance_after_minutes == null ? "" : String(c.auto_rebalance_after_minutes),
    questions: (c.survey_questions || []).map((q) => ({ text: q.text, answers: (q.answers || []).join("\n") })),
  };
}

function keepDraft() {
  drafts.save(formState());
}
form.addEventListener("input", () => {
  renderPreview();
  keepDraft();
});

/** The request body; throws (as the API would) for a half-filled window. */
function body() {
  const s = formState();
  if (!!s.window_start !== !!s.window_end) {
    throw { message: "'sending_window' needs both a start and an end (or neither)." };
  }
  /** @type {Record<string, any>} */
  const out = {
    title: s.title,
    initial_message: s.initial_message,
    follow_up_message: s.follow_up_message.trim() ? s.follow_up_message : null,
    self_assign: s.self_assign,
    sending_window: s.window_start
      ? { start: new Date(s.window_start).toISOString(), end: new Date(s.window_end).toISOString() }
      : null,
    ...textingBody(s),
  };
  if (cid) {
    // Numbers the API checks (1 to 1440); an empty alert box changes nothing, an empty
    // automatic-rebalance box turns it off.
    if (s.waiting_alert_minutes.trim()) out.waiting_alert_minutes = Number(s.waiting_alert_minutes);
    out.auto_rebalance_after_minutes = s.auto_rebalance_after_minutes.trim() ? Number(s.auto_rebalance_after_minutes) : null;
  }
  // Fixed once launched: sent only while they can still change.
  if (!campaign || campaign.status === "draft") {
    out.survey_questions = s.questions.map((q) => ({
      text: q.text,
      answers: q.answers.split("\n").map((a) => a.trim()).filter(Boolean),
    }));
  }
  return out;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errors.clear();
  save.disabled = true;
  try {
    const wanted = body();
    const saved = cid ? await api("PATCH", `/api/campaigns/${cid}`, wanted) : await post("/api/campaigns", wanted);
    drafts.clear();
    if (!cid) {
      location.assign(`/campaigns/${saved.id}/contacts`);
      return;
    }
    showCampaign(saved);
    notice("Campaign saved.", "ok");
  } catch (err) {
    errors.show(err);
  } finally {
    save.disabled = false;
  }
});

// ---- lifecycle and export -------------------------------------------------

const status = h("p", { class: "campaign-status", id: "campaign-status", "aria-live": "polite" });
const actions = h("div", { class: "buttons start lifecycle" });

const LIFECYCLE = [
  { name: "Launch", to: "active", from: ["draft"], text: "Senders can start texting its contacts as soon as it is launched." },
  { name: "Pause", to: "paused", from: ["active"], text: "Nothing can be sent until the campaign is resumed; every open page shows it at once." },
  { name: "Resume", to: "active", from: ["paused"], text: "Senders can text again." },
  { name: "Close campaign", to: "closed", from: ["draft", "active", "paused"], text: "Closing is final: nothing more can be sent or changed in this campaign." },
];

function renderLifecycle() {
  const c = campaign;
  const label = { draft: "Draft", active: "Active", paused: "Paused", closed: "Closed" }[c.status] || c.status;
  fill(status, "State: ", h("span", { class: `state state-${c.status}` }, label), ` · ${c.contact_count} contacts`,
    stateText(c.status) && c.status !== "draft" ? ` · ${stateText(c.status)}` : "");
  fill(
    actions,
    LIFECYCLE.filter((a) => a.from.includes(c.status)).map((a) =>
      h("button", {
        type: "button", class: a.to === "closed" ? "danger" : a.to === "active" ? "primary" : "",
        onclick: () => confirmDialog({
          title: `${a.name}: ${c.title}?`,
          text: a.text,
          confirm: a.name,
          danger: a.to === "closed",
          action: () => api("PATCH", `/api/campaigns/${cid}`, { status: a.to }),
        }).then((saved) => {
          if (saved) {
            showCampaign(saved);
            notice(`${c.title} is now ${saved.status}.`, "ok");
          }
        }),
      }, a.name),
    ),
    h("button", {
      type: "button",
      onclick: async () => {
        try {
          await download(`/api/campaigns/${cid}/export.csv`, `campaign-${cid}.csv`, token);
        } catch (err) {
          notice(errorText(err), "error");
        }
      },
    }, "Export CSV"),
  );
}

function showCampaign(c) {
  campaign = c;
  heading.textContent = `${c.title}: setup`;
  document.title = `${c.title} · Setup · shiftline`;
  renderLifecycle();
  renderQuestions();
  // Questions follow their own rule (renderQuestions); a closed campaign changes no more.
  for (const el of form.querySelectorAll("input, textarea, button")) {
    if (el.closest(".questions") || el === addQuestion) continue;
    /** @type {HTMLInputElement} */ (el).disabled = c.status === "closed";
  }
}

async function main() {
  if (cid) root.append(h("section", { class: "card lifecycle-card", "aria-label": "State" }, status, actions));
  root.append(form);
  const draft = drafts.load();
  if (cid) {
    try {
      campaign = await get(`/api/campaigns/${cid}`);
    } catch (err) {
      message(root, errorText(err), "error");
      return;
    }
    setForm(fromCampaign(campaign));
    showCampaign(campaign);
  } else {
    setForm({ questions: [] });
  }
  if (draft) {
    setForm(draft);
    notice("Your unsaved changes were restored.");
  }
  document.body.dataset.loaded = "true";
  if (!cid) title.focus();
}

main();
