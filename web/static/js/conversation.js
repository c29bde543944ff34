// One conversation: the thread, the message box, the actions and the
// Survey / Replies / Info side panels. Used by both Messengers.

import { canSend, canSendInitial, fillTemplate } from "./campaign.js";
import { statusText } from "./convlist.js";
import { get, post, put } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { Attachments, mediaOf } from "./media.js";
import { UNASSIGNED, slotKey } from "./slots.js";
import { errorText, fmtTime, fullName, h, notice, fill } from "./ui.js";
import { TypingWatch } from "./typing.js";

const MAX_BODY = 1600;
// A failed survey save is tried again after this long (network down, server restarting).
const SURVEY_RETRY_MS = 3000;
let uid = 0;

const DRAFTS_KEY = "shiftline.drafts";

/**
 * Unsent replies by conversation id, kept for this tab in sessionStorage: a
 * reload (or a conversation moved away and back) finds them again.
 */
export const drafts = {
  /** @returns {Record<string, string>} */
  all() {
    try {
      return JSON.parse(sessionStorage.getItem(DRAFTS_KEY) || "{}") || {};
    } catch {
      return {};
    }
  },
  /** @param {number | null} id */
  get(id) {
    return id === null ? "" : this.all()[String(id)] || "";
  },
  /** @param {number | null} id @param {string} text */
  set(id, text) {
    if (id === null) return;
    const all = this.all();
    if (text) all[String(id)] = text;
    else delete all[String(id)];
    sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(all));
  },
  /** @param {number | null} id */
  delete(id) {
    this.set(id, "");
  },
};

function surveyAnswers(conv) {
  const raw = conv.survey_answers ?? conv.survey ?? conv.answers ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((a) => [String(a.question_id ?? a.id), a.answer]));
  }
  if (raw && typeof raw === "object" && raw.answers && typeof raw.answers === "object") return raw.answers;
  return raw || {};
}

export function isOptedOut(conv) {
  if (!conv) return false;
  if (typeof conv.opted_out === "boolean") return conv.opted_out;
  if (conv.opt_out && typeof conv.opt_out === "object") return !!conv.opt_out.opted_out;
  return conv.status === "opted_out";
}

function assignedId(conv) {
  if (conv.sender && typeof conv.sender === "object") return conv.sender.id;
  return conv.assigned_to ?? conv.sender_id ?? null;
}

function initialSent(conv) {
  const msgs = conv.messages || [];
  return conv.status !== "not_started" || msgs.some((m) => m.direction === "outbound");
}

/** A text the provider could not deliver: its error code and what it means, in plain words. */
export function deliveryError(m) {
  if (m.direction !== "outbound" || !["failed", "undelivered"].includes(m.delivery_status)) return null;
  const what = m.delivery_status === "failed" ? "Not sent" : "Not delivered";
  const code = m.error_code ? ` (${m.error_code})` : "";
  return h(
    "span",
    { class: "delivery-error", role: "note", dataset: { errorCode: m.error_code || "" } },
    `${what}${code}: ${m.error_message || "the provider gave no reason."}`,
  );
}

export class ConversationView {
  /**
   * @param {object} o
   * @param {object} o.me            the logged-in user
   * @param {boolean} o.admin        show Reassign (sweepers)
   * @param {() => object[]} [o.assignees]  the campaign's senders, for Reassign
   * @param {() => void} [o.onBack]  phone layout: back to the list
   * @param {(conv) => void} [o.onSent]  after a send succeeded
   * @param {(err) => void} [o.onLocked]  a send refused with 423 (the campaign's state changed)
   */
  constructor({ me, admin, assignees, onBack, onSent, onLocked }) {
    uid += 1;
    this.me = me;
    this.admin = admin;
    this.assignees = assignees || (() => []);
    this.onBack = onBack || (() => {});
    this.onSent = onSent || (() => {});
    this.onLocked = onLocked || (() => {});
    this.campaign = null;
    this.replies = [];
    this.conv = null;
    this.id = null;
    this.sending = false;
    this.drafts = drafts;
    /** @type {Map<number, Attachments>} files attached to each conversation's next text */
    this.attached = new Map();
    /** @type {Map<number, Record<string, string | null>>} answers chosen and not yet saved, by conversation */
    this.surveyPending = new Map();
    this.surveyQueue = Promise.resolve();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.surveyRetry = undefined;
    this.surveyState = h("p", { class: "survey-state", "aria-live": "polite" });
    this.mode = "responses"; // the list tab the conversation was opened from

    this.head = h("header", { class: "conv-head" });
    this.thread = h("ol", { class: "thread", "aria-label": "Messages", "aria-live": "polite" });
    this.composer = h("div", { class: "composer" });
    this.typing = new TypingWatch({ me });
    this.main = h(
      "section",
      { class: "conv-main", "aria-label": "Conversation" },
      this.head,
      this.thread,
      this.typing.el,
      this.composer,
    );
    this.sideTabs = [
      ["survey", "Survey"],
      ["replies", "Replies"],
      ["info", "Info"],
    ];
    this.panels = {
      survey: h("div", { class: "panel", role: "tabpanel", id: `panel-survey-${uid}`, "aria-labelledby": `side-survey-${uid}` }),
      replies: h("div", { class: "panel", role: "tabpanel", id: `panel-replies-${uid}`, "aria-labelledby": `side-replies-${uid}`, hidden: true }),
      info: h("div", { class: "panel", role: "tabpanel", id: `panel-info-${uid}`, "aria-labelledby": `side-info-${uid}`, hidden: true }),
    };
    this.sideButtons = this.sideTabs.map(([k, label], i) =>
      h("button", {
        type: "button", role: "tab", id: `side-${k}-${uid}`, "aria-controls": `panel-${k}-${uid}`,
        "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1", onclick: () => this.showPanel(k),
      }, label),
    );
    this.side = h(
      "aside",
      { class: "conv-side", "aria-label": "Survey, replies and contact info" },
      h("div", { class: "tabs", role: "tablist", "aria-label": "Side panels" }, this.sideButtons),
      Object.values(this.panels),
    );
    this.box = h("div", { class: "conv", hidden: true }, this.main, this.side);
    this.empty = h(
      "div",
      { class: "conv-empty" },
      h("p", {}, "Choose a conversation from the list to read it, reply and record survey answers."),
    );
    this.el = h("div", { class: "conv-pane" }, this.empty, this.box);
  }

  setCampaign(campaign) {
    this.campaign = campaign;
    if (this.conv) this.render();
  }

  setReplies(replies) {
    this.replies = replies;
    if (this.conv) this.render();
  }

  showPanel(key) {
    for (const [k] of this.sideTabs) this.panels[k].hidden = k !== key;
    for (const b of this.sideButtons) {
      const on = b.id === `side-${key}-${uid}`;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    }
  }

  async open(id) {
    this.id = id;
    this.typing.clear();
    this.conv = null;
    this.box.hidden = false;
    this.empty.hidden = true;
    this.box.dataset.conversation = String(id);
    this.surveyState.textContent = "";
    await this.refresh();
  }

  close() {
    this.id = null;
    this.typing.clear();
    this.conv = null;
    this.box.hidden = true;
    this.empty.hidden = false;
  }

  async refresh() {
    const id = this.id;
    if (id === null) return;
    try {
      const conv = await get(`/api/conversations/${id}`);
      if (this.id !== id) return;
      this.conv = conv;
      this.render();
    } catch (err) {
      if (this.id !== id) return;
      if (err.status === 403 || err.status === 404) {
        fill(this.thread, h("li", { class: "msg-gone" }, "This conversation is no longer yours to see."));
        this.composer.replaceChildren();
        return;
      }
      if (err.code !== "offline") notice(errorText(err), "error");
    }
  }

  /** Live events: refresh when they concern the open conversation. */
  onEvent(kind, data) {
    if (this.id === null) return;
    if (kind === "typing") {
      this.typing.onEvent(data, this.id);
      return;
    }
    if (
      (kind === "conversation" && data.id === this.id) ||
      (kind === "message" && data.conversation_id === this.id) ||
      (kind === "reassigned" && (data.conversation_ids || []).includes(this.id))
    ) {
      this.refresh();
    }
  }

  contact() {
    return (this.conv && this.conv.contact) || {};
  }

  render() {
    const conv = this.conv;
    const contact = this.contact();
    const optedOut = isOptedOut(conv);
    const name = fullName(contact) || contact.phone || `Conversation ${conv.id}`;
    this.box.dataset.status = conv.status || "";

    const optButton = h(
      "button",
      { type: "button", class: optedOut ? "" : "danger", id: `opt-${uid}`, onclick: (ev) => this.toggleOptOut(ev.currentTarget) },
      optedOut ? "Opt In" : "Opt Out",
    );
    let reassign = null;
    if (this.admin) {
      const select = h(
        "select",
        { id: `reassign-to-${uid}` },
        h("option", { value: UNASSIGNED }, "Unassigned"),
        this.assignees().filter((s) => s.user_id !== null).map((s) =>
          h("option", { value: slotKey(s.user_id), selected: slotKey(s.user_id) === slotKey(assignedId(conv)) }, fullName(s)),
        ),
      );
      reassign = h(
        "span",
        { class: "reassign-one" },
        h("label", { for: select.id, class: "sr-only" }, "Reassign to"),
        select,
        h("button", { type: "button", onclick: () => this.reassign(select.value) }, "Reassign"),
      );
    }
    // Sweepers follow the number to every conversation it has in the organization (seed 001).
    const phone = contact.phone
      ? this.admin
        ? h("a", { class: "conv-phone", href: `/lookup/${conv.id}`, title: "Phone Number Lookup" }, contact.phone)
        : h("span", { class: "conv-phone" }, contact.phone)
      : null;
    fill(this.head, 
      h("button", { type: "button", class: "back link", onclick: () => this.onBack() }, "← Conversations"),
      h(
        "div",
        { class: "conv-title" },
        h("h2", { title: name }, name),
        // Always a second line (number and status), so the header keeps one height.
        h("span", { class: "conv-sub" }, phone, phone ? " · " : null,
          h("span", { class: `status status-${conv.status}` }, statusText(conv.status))),
      ),
      h("div", { class: "conv-actions" }, reassign, optButton),
    );

    const messages = conv.messages || [];
    fill(this.thread, 
      ...messages.map((m) =>
        h(
          "li",
          { class: `bubble bubble-${m.direction}`, dataset: { direction: m.direction } },
          m.direction === "note" ? h("span", { class: "note-label" }, "Note: ") : null,
          h("span", { class: "body" }, m.body),
          mediaOf(m),
          deliveryError(m),
          h("span", { class: "meta" }, h("time", { datetime: m.created_at || "" }, fmtTime(m.created_at)), this.author(m)),
        ),
      ),
    );
    if (!messages.length) this.thread.append(h("li", { class: "thread-empty" }, "No messages yet."));
    this.thread.scrollTop = this.thread.scrollHeight;

    this.renderComposer(optedOut);
    this.renderSurvey();
    this.renderReplies();
    this.renderInfo(optedOut);
  }

  /** Re-render the message box, keeping the focus and any draft across live refreshes. */
  renderComposer(optedOut) {
    const active = document.activeElement;
    const focused = active && this.composer.contains(active) ? active.tagName : null;
    this.buildComposer(optedOut);
    if (focused) {
      const again = this.composer.querySelector(focused === "TEXTAREA" ? "textarea" : "button.primary");
      if (again && !again.disabled) again.focus();
    }
  }

  buildComposer(optedOut) {
    const conv = this.conv;
    if (optedOut) {
      fill(this.composer, h("p", { class: "muted" }, "This contact opted out: no messages can be sent."));
      return;
    }
    if (!initialSent(conv)) {
      const allowed = canSendInitial(this.campaign);
      const sender = this.admin ? this.senderOf(conv) : this.me;
      const preview = fillTemplate(this.campaign && this.campaign.initial_message, sender, this.contact());
      const button = h("button", { type: "button", class: "primary", disabled: !allowed.ok, onclick: () => this.send(null) }, "Send initial message");
      fill(this.composer, 
        h("p", { class: "preview", "aria-label": "Initial message" }, preview),
        allowed.ok ? null : h("p", { class: "muted" }, allowed.why),
        button,
      );
      return;
    }
    // Paused or closed: the reply stays editable, only sending waits for a resume.
    const allowed = canSend(this.campaign);
    const why = allowed.ok ? null : h("p", { class: "muted send-refused" }, allowed.why);
    if (this.mode === "follow_ups" && conv.status === "sent" && this.campaign && this.campaign.follow_up_message) {
      const sender = this.admin ? this.senderOf(conv) : this.me;
      fill(
        this.composer,
        h("p", { class: "preview", "aria-label": "Follow-up message" }, fillTemplate(this.campaign.follow_up_message, sender, this.contact())),
        why,
        h("button", { type: "button", class: "primary", disabled: !allowed.ok, onclick: () => this.send(null, { follow_up: true }) }, "Send follow-up"),
      );
      return;
    }
    const box = h("textarea", { id: `body-${uid}`, rows: 3, maxlength: MAX_BODY, placeholder: "Type a reply" });
    const id = this.id;
    box.value = this.drafts.get(id);
    box.addEventListener("input", () => {
      this.drafts.set(id, box.value);
      if (box.value.trim()) this.typing.typed(id);
    });
    box.addEventListener("keydown", (ev) => {
      // Enter sends, Shift+Enter is a new line; a held key sends only once.
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        if (!ev.repeat && canSend(this.campaign).ok) this.send(box.value);
      }
    });
    const picker = h(
      "select",
      { id: `reply-pick-${uid}` },
      h("option", { value: "" }, "Recommended replies…"),
      this.replies.map((r, i) => h("option", { value: String(i) }, r.title || r.body.slice(0, 40))),
    );
    picker.addEventListener("change", () => {
      const r = this.replies[Number(picker.value)];
      if (r) this.insertReply(r.body);
      picker.value = "";
    });
    const attached = this.attachmentsOf(id);
    fill(this.composer, 
      h("label", { for: box.id, class: "sr-only" }, "Reply"),
      box,
      attached.tray(),
      h(
        "div",
        { class: "composer-tools" },
        attached.button(uid),
        this.replies.length ? [h("label", { for: picker.id, class: "sr-only" }, "Recommended replies"), picker] : null,
        this.admin
          ? h("button", { type: "button", title: "Kept in the thread, never sent to the contact", onclick: () => this.send(box.value, { note: true }) }, "Add note")
          : null,
        h("button", { type: "button", class: "primary", disabled: !allowed.ok, onclick: () => this.send(box.value) }, "Send"),
      ),
      why,
    );
  }

  /** The files attached to conversation `id`'s next text (a change redraws the message box, keeping the draft). */
  attachmentsOf(id) {
    let attached = this.attached.get(id);
    if (!attached) {
      attached = new Attachments();
      attached.onChange = () => {
        if (this.id === id && this.conv) this.renderComposer(isOptedOut(this.conv));
      };
      this.attached.set(id, attached);
    }
    return attached;
  }

  /** Who wrote an outbound text or a note: the assigned sender, or a sweeper on their behalf. */
  author(m) {
    if (m.direction === "inbound" || m.sender_id === null || m.sender_id === undefined) return null;
    const who = (this.conv.authors || {})[String(m.sender_id)];
    if (!who) return null;
    const sweeper = who.role !== "sender";
    const verb = m.direction === "note" ? "Note by" : "Sent by";
    return h("span", { class: "author" }, ` · ${verb} ${fullName(who)}${sweeper ? " (sweeper)" : ""}`);
  }

  senderOf(conv) {
    const id = assignedId(conv);
    if (id === null) return null;
    const known = this.assignees().find((s) => s.user_id === id);
    return known || (conv.sender ? { user_id: id, ...conv.sender } : null);
  }

  insertReply(body) {
    const filled = fillTemplate(body, this.admin ? this.senderOf(this.conv) : this.me, this.contact());
    const box = this.composer.querySelector("textarea");
    if (!box) return;
    box.value = box.value ? `${box.value} ${filled}` : filled;
    this.drafts.set(this.id, box.value);
    box.focus();
  }

  /** Questions with this conversation's answers: the thread's own survey, else the campaign's questions. */
  surveyQuestions() {
    if (Array.isArray(this.conv.survey)) {
      return this.conv.survey.map((q) => ({ id: q.question_id, text: q.text, answers: q.answers || [], answer: q.answer }));
    }
    const answers = surveyAnswers(this.conv);
    return ((this.campaign && this.campaign.survey_questions) || []).map((q) => ({
      ...q,
      answer: answers[String(q.id)] ?? null,
    }));
  }

  renderSurvey() {
    const panel = this.panels.survey;
    const questions = this.surveyQuestions();
    if (!questions.length) {
      fill(panel, h("p", { class: "muted" }, "This campaign has no survey questions."));
      return;
    }
    // Answers chosen but not saved yet win over what the server last said.
    const pending = this.surveyPending.get(this.id) || {};
    const convId = this.id;
    const fields = questions.map((q) => {
      const id = `q-${uid}-${q.id}`;
      const key = String(q.id);
      const current = (key in pending ? pending[key] : q.answer) ?? "";
      /** @type {HTMLInputElement | HTMLSelectElement} */
      let input;
      if ((q.answers || []).length) {
        input = h("select", { id, name: key }, h("option", { value: "" }, "—"),
          q.answers.map((a) => h("option", { value: a, selected: a === current }, a)));
        // Saved the moment an answer is chosen: no separate save step to forget.
        input.addEventListener("change", () => this.chooseAnswer(convId, key, input.value));
      } else {
        input = h("input", { id, name: key, value: current, autocomplete: "off" });
        let timer;
        const save = () => {
          clearTimeout(timer);
          this.chooseAnswer(convId, key, input.value.trim());
        };
        input.addEventListener("input", () => {
          clearTimeout(timer);
          timer = setTimeout(save, 600);
        });
        input.addEventListener("change", save);
      }
      return h("div", { class: "field" }, h("label", { for: id }, q.text), input);
    });
    fill(panel, h("form", { class: "survey", onsubmit: (ev) => ev.preventDefault() }, fields), this.surveyState);
  }

  /** An answer chosen (or cleared, with ""): saved at once, kept and retried until the server has it. */
  chooseAnswer(convId, key, value) {
    if (convId === null) return;
    const pending = this.surveyPending.get(convId) || {};
    pending[key] = value === "" ? null : value;
    this.surveyPending.set(convId, pending);
    if (convId === this.id) this.surveyState.textContent = "Saving…";
    this.flushSurvey(convId);
  }

  /** Save the pending answers of `convId`; saves run one after the other, in the order chosen. */
  flushSurvey(convId) {
    this.surveyQueue = this.surveyQueue.then(() => this.saveSurvey(convId));
    return this.surveyQueue;
  }

  async saveSurvey(convId) {
    const answers = this.surveyPending.get(convId);
    if (!answers) return;
    this.surveyPending.delete(convId);
    try {
      const res = await put(`/api/conversations/${convId}/survey`, { answers });
      if (convId === this.id && this.conv) {
        this.conv.survey = res.survey;
        if (!this.surveyPending.has(convId)) this.surveyState.textContent = "Answers saved.";
      }
    } catch (err) {
      // Never dropped in silence: what failed is said, and kept to try again when that can help.
      const retry = err.code === "offline" || err.status === 0 || err.status >= 500;
      if (retry) {
        this.surveyPending.set(convId, { ...answers, ...(this.surveyPending.get(convId) || {}) });
        clearTimeout(this.surveyRetry);
        this.surveyRetry = setTimeout(() => this.flushSurvey(convId), SURVEY_RETRY_MS);
      }
      const text = retry
        ? `Survey answers not saved yet (${errorText(err)}); trying again.`
        : `Survey answers not saved: ${errorText(err)}`;
      if (convId === this.id) this.surveyState.textContent = text;
      notice(text, "error", { sticky: !retry });
    }
  }

  renderReplies() {
    const panel = this.panels.replies;
    if (!this.replies.length) {
      fill(panel, h("p", { class: "muted" }, "No recommended replies."));
      return;
    }
    fill(panel, 
      h(
        "ul",
        { class: "reply-list" },
        this.replies.map((r) =>
          h("li", {}, h("button", { type: "button", class: "reply-item", onclick: () => this.insertReply(r.body) },
            h("strong", {}, r.title || "Reply"), h("span", {}, r.body))),
        ),
      ),
    );
  }

  renderInfo(optedOut) {
    const contact = this.contact();
    const extra = contact.extra || contact.fields || {};
    const assigned = this.senderOf(this.conv);
    const campaign = this.campaign || {};
    const created = campaign.created_at ? new Date(campaign.created_at) : null;
    const rows = [
      ["Campaign", campaign.title],
      ["Created", created ? created.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : ""],
      ["Contacts", campaign.contact_count === undefined ? "" : String(campaign.contact_count)],
      ["Name", fullName(contact)],
      ["Phone", contact.phone],
      ["Status", statusText(this.conv.status)],
      ["Opted out", optedOut ? "Yes" : "No"],
      this.admin ? ["Assigned to", assigned ? fullName(assigned) : "Unassigned"] : null,
      ...Object.entries(extra).map(([k, v]) => [k, String(v)]),
    ].filter((row) => row !== null);
    fill(this.panels.info, 
      h("dl", { class: "info" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "—")])),
    );
  }

  async send(body, extra = {}) {
    if (this.sending || this.id === null) return;
    const text = body === null ? null : body.trim();
    // Pictures go with a typed reply (not with a note, never sent, nor a template).
    const attached = text !== null && !extra.note ? this.attachmentsOf(this.id) : null;
    const mediaIds = attached ? attached.ids() : [];
    if (attached && attached.uploading) {
      notice("The picture is still uploading; send it in a moment.", "error");
      return;
    }
    if (text === "" && !mediaIds.length) {
      notice("Type a message first.", "error");
      return;
    }
    this.sending = true;
    const id = this.id;
    /** @type {Record<string, any>} */
    const payload = text === null ? { ...extra } : { body: text, ...extra };
    if (mediaIds.length) payload.media_ids = mediaIds;
    try {
      await post(`/api/conversations/${id}/messages`, payload);
      this.drafts.delete(id);
      if (attached) attached.clear();
      // The user went on to another conversation meanwhile: the page does not move on for them.
      if (this.id !== id) return;
      await this.refresh();
      this.onSent(this.conv);
      const box = this.composer.querySelector("textarea");
      if (box) box.focus();
    } catch (err) {
      // A 423 is shown once, as the page's banner, not also as a notice.
      if (err.status === 423) this.onLocked(err);
      else notice(errorText(err), "error");
    } finally {
      this.sending = false;
    }
  }

  async toggleOptOut(opener) {
    const out = isOptedOut(this.conv);
    if (!out) {
      const contact = this.contact();
      const who = fullName(contact) || contact.phone || "this contact";
      const yes = await confirmDialog({
        title: `Opt out ${who}?`,
        text: `This applies to the whole organization: no campaign will text ${contact.phone || "this number"} again until the contact is opted back in.`,
        confirm: "Opt Out",
        danger: true,
        opener,
      });
      if (!yes || this.id === null) return;
    }
    try {
      await post(`/api/conversations/${this.id}/${out ? "opt-in" : "opt-out"}`, {});
      notice(out ? "Contact opted back in." : "Contact opted out.", "ok");
      await this.refresh();
    } catch (err) {
      notice(errorText(err), "error");
    }
  }

  async reassign(value) {
    const to = value === UNASSIGNED ? null : Number(value);
    try {
      await post(`/api/conversations/${this.id}/reassign`, { to });
      notice(to === null ? "Moved to Unassigned." : "Conversation reassigned.", "ok");
      await this.refresh();
    } catch (err) {
      notice(errorText(err), "error");
    }
  }
}

/** The campaign's and the organization's recommended replies, campaign ones first. */
export async function loadReplies(cid) {
  const pick = (d) => (Array.isArray(d) ? d : (d && (d.replies || d.items)) || []);
  const [own, org] = await Promise.all([
    get(`/api/campaigns/${cid}/replies`).catch(() => []),
    get("/api/replies").catch(() => []),
  ]);
  const seen = new Set();
  return [...pick(own), ...pick(org)].filter((r) => r && r.body && !seen.has(r.id) && seen.add(r.id));
}
