// The inbox: a user's one-to-one conversations with the address book, live.
import { api, get, isSweeper, post, query, requireSession } from "../api.js";
import { followChannel } from "../boot.js";
import { drafts } from "../conversation.js";
import { consentText, openContactDetails } from "../contact_details.js";
import { inboxAutomation } from "../inbox_automation.js";
import { confirmDialog } from "../dialog.js";
import { openExport } from "../inbox_export.js";
import { Attachments, mediaOf } from "../media.js";
import { PAGE, firstRows, nextRows } from "../inbox_pages.js";
import { inboxUserPicker, viewedUser } from "../inbox_users.js";
import { menuButton } from "../menu.js";
import { isAdmin, siteNav } from "../nav.js";
import { debounce, errorText, fill, fmtTime, fullName, h, message, notice, reloader, topBar } from "../ui.js";

const { user, token } = await requireSession();
document.body.prepend(topBar("Inbox"));
const root = /** @type {HTMLElement} */ (document.getElementById("main"));

/** @type {{ open: number | null, conv: any, rows: any[], next: string | null, selected: Set<number> }} */
const state = { open: null, conv: null, rows: [], next: null, selected: new Set() };
// Whose inbox this is: the person's own, or the one a sweeper picked.
const viewing = viewedUser(user);
// The consent status shows only where the organization requires the consent message.
const organization = await get("/api/organization").catch(() => ({ consent_required: false }));

const search = h("input", { type: "search", id: "inbox-search", autocomplete: "off", placeholder: "Search" });
const showArchived = h("input", { type: "checkbox", id: "inbox-archived" });
const archiveSelected = h("button", { type: "button", id: "archive-selected", disabled: true }, "Archive selected");
const selectAll = h("input", { type: "checkbox", id: "inbox-select-all" });

/** The bulk tools follow the selection: Archive selected, and Select all (mixed when some are). */
function selectionChanged() {
  const shown = state.rows.filter((r) => state.selected.has(r.id)).length;
  selectAll.checked = shown > 0 && shown === state.rows.length;
  selectAll.indeterminate = shown > 0 && shown < state.rows.length;
  selectAll.disabled = state.rows.length === 0;
  archiveSelected.disabled = state.selected.size === 0;
}
const listEl = h("ul", { class: "conv-list", id: "inbox-list", "aria-label": "Conversations" });
const loadMore = h("button", { type: "button", id: "inbox-more", hidden: true }, "Load more");

const head = h("header", { class: "conv-head" });
const thread = h("ol", { class: "thread", "aria-label": "Messages", "aria-live": "polite" });
const text = h("textarea", { id: "inbox-message", rows: 3, maxlength: 1600 });
const send = h("button", { type: "submit", class: "primary" }, "Send");
const optedOutNote = h("p", { class: "form-error", id: "inbox-opted-out", hidden: true },
  "This contact has opted out: texts are not sent.");
/** @type {Map<number, Attachments>} files attached to each conversation's next text */
const attachments = new Map();
// The camera button and the tray belong to the open conversation's attachments: redrawn in these slots.
const attachSlot = h("span", { class: "attach-slot" });
const traySlot = h("div", { class: "attach-tray" });
const automation = inboxAutomation({
  text,
  current: () => state.open,
  sent: () => loadList(),
  attached: () => (state.open === null ? 0 : attachedTo(state.open).items.length),
});
const composer = h(
  "form",
  { class: "composer", hidden: true },
  optedOutNote,
  h("label", { for: text.id }, "Message"),
  text,
  traySlot,
  h("div", { class: "composer-tools" }, attachSlot, ...automation.buttons, send),
);
const main = h("section", { class: "conv-main", "aria-label": "Conversation" }, head, thread, automation.panel, composer);

// Starting a conversation: a phone number, or a contact from the address book.
const phone = h("input", { type: "tel", id: "new-phone", autocomplete: "off", maxlength: 40 });
const contactSearch = h("input", { type: "search", id: "contact-search", autocomplete: "off" });
const contacts = h("ul", { class: "conv-list", id: "address-book", "aria-label": "Address book" });
const startForm = h(
  "form",
  { class: "card settings-form", id: "new-conversation", hidden: true },
  h("h2", {}, "New Conversation"),
  h("div", { class: "field" }, h("label", { for: phone.id }, "Send to Phone Number:"), phone),
  h("div", { class: "buttons start" }, h("button", { type: "submit", class: "primary" }, "Start Conversation")),
  h("div", { class: "field" }, h("label", { for: contactSearch.id }, "Choose Contact"), contactSearch),
  contacts,
);
const newButton = h("button", { type: "button", class: "primary", "aria-expanded": "false", "aria-controls": "new-conversation" }, "New Conversation");

function label(c) {
  return fullName(c) || c.phone;
}

function renderList() {
  selectionChanged();
  if (!state.rows.length) {
    message(listEl, search.value.trim() ? "No conversation matches." : "No conversations here.");
    return;
  }
  fill(listEl, state.rows.map((r) => {
    const name = label(r.contact);
    const box = h("input", {
      type: "checkbox", "aria-label": `Select ${name}`, checked: state.selected.has(r.id),
      onchange: () => {
        if (box.checked) state.selected.add(r.id);
        else state.selected.delete(r.id);
        selectionChanged();
      },
    });
    return h("li", { class: r.id === state.open ? "selected inbox-row" : "inbox-row", dataset: { id: String(r.id) } },
      box,
      h("button", { type: "button", class: "conv-row", onclick: () => openConversation(r.id) },
        h("span", { class: "conv-name" }, name),
        h("span", { class: "conv-meta" },
          r.needs_reply ? "Needs reply · " : "",
          r.archived ? "Archived · " : "",
          r.last_message_at ? fmtTime(r.last_message_at) : "New")));
  }));
}

function listParams() {
  return { user: viewing === user.id ? null : viewing, search: search.value.trim(), archived: showArchived.checked ? "true" : null };
}

const loadList = reloader(async () => {
  // As many rows as the list shows: the ones "Load more" brought stay (all of them once it reached the end).
  const page = await firstRows(listParams(), state.next === null && state.rows.length > PAGE ? Infinity : state.rows.length);
  state.rows = page.rows;
  state.next = page.next;
  loadMore.hidden = !state.next;
  renderList();
  document.body.dataset.loaded = "true";
}, (err) => message(listEl, errorText(err), "error"));

/** The files attached to conversation `id`'s next text (kept when another conversation is opened). */
function attachedTo(id) {
  let attached = attachments.get(id);
  if (!attached) {
    attached = new Attachments();
    attached.onChange = () => {
      if (state.open === id) renderAttachments();
    };
    attachments.set(id, attached);
  }
  return attached;
}

function renderAttachments() {
  if (state.open === null) return;
  const attached = attachedTo(state.open);
  // Keep the focus on the camera button when a change redraws it.
  const focused = attachSlot.contains(document.activeElement);
  fill(traySlot, attached.tray());
  fill(attachSlot, ...attached.button(`inbox-${state.open}`));
  if (focused) /** @type {HTMLElement | null} */ (attachSlot.querySelector("button"))?.focus();
}

function bubble(m) {
  const who = m.direction === "inbound" ? "" : m.automatic ? "Automatic · " : "";
  const status = m.delivery_status && m.direction === "outbound" ? ` · ${m.delivery_status}` : "";
  return h("li", { class: `bubble bubble-${m.direction}`, dataset: { id: String(m.id) } },
    m.direction === "note" ? h("span", { class: "note-label" }, "Note: ") : null,
    h("span", { class: "body" }, m.body),
    mediaOf(m),
    h("span", { class: "meta" }, who, h("time", { datetime: m.created_at || "" }, fmtTime(m.created_at)), status));
}

// The conversation's actions in one "Action" menu (seed 004). It is made once and kept
// across the header's re-renders, so a live update never closes it or takes its focus.
const actions = menuButton({ content: "Action", id: "conv-action", menuId: "conv-action-menu", items: [] });

function renderConversation() {
  const c = state.conv;
  if (!c) {
    actions.close();
    fill(head);
    message(thread, "Choose a conversation, or start a new one.");
    composer.hidden = true;
    return;
  }
  const optedOut = !!(c.opt_out && c.opt_out.opted_out);
  optedOutNote.hidden = !optedOut;
  send.disabled = optedOut;
  // Deleting is for owners and admins.
  actions.setItems([
    { label: c.archived ? "Unarchive" : "Archive", action: () => setArchived(c.id, !c.archived) },
    { label: "Export", action: (opener) => openExport({ id: c.id, token, opener }) },
    ...(isAdmin(user) ? [{ label: "Delete", danger: true, action: (opener) => remove(c.id, opener) }] : []),
  ]);
  const focused = document.activeElement instanceof HTMLElement && head.contains(document.activeElement) ? document.activeElement : null;
  fill(head,
    h("button", { type: "button", class: "back", onclick: () => document.body.classList.remove("show-thread") }, "Back to the list"),
    h("div", { class: "conv-title" }, h("h2", { id: "conv-name" }, label(c.contact)), h("span", { class: "conv-sub" }, c.contact.phone),
      organization.consent_required ? h("span", { class: "status", id: "consent-state" }, consentText(c.consent)) : null,
      optedOut ? h("span", { class: "status", id: "opted-out-state" }, "Opted out") : null),
    h("div", { class: "conv-actions" },
      h("button", { type: "button", id: "contact-details", onclick: (ev) => openContactDetails({
        contactId: c.contact.id, consentRequired: !!organization.consent_required, opener: ev.currentTarget,
        onSaved: () => Promise.all([loadList(), loadConversation()]),
      }) }, "Details"),
      actions.el));
  // A live re-render keeps the focus in the header: on the same element, or on the new one of the same id.
  const again = focused && (focused.isConnected ? focused : focused.id ? document.getElementById(focused.id) : null);
  if (again && again !== document.activeElement) again.focus();
  fill(thread, c.messages.length ? c.messages.map(bubble) : h("li", { class: "thread-empty" }, "No messages yet."));
  thread.scrollTop = thread.scrollHeight;
  renderAttachments();
  composer.hidden = false;
}

const loadConversation = reloader(async () => {
  if (state.open === null) return;
  state.conv = await get(`/api/conversations/${state.open}`);
  renderConversation();
  automation.show(state.conv);
}, (err) => notice(errorText(err), "error"));

async function openConversation(id) {
  if (state.open !== null) drafts.set(state.open, text.value);
  state.open = id;
  text.value = drafts.get(id);
  document.body.classList.add("show-thread");
  renderList();
  await loadConversation();
  text.focus();
}

async function setArchived(id, archived) {
  try {
    await post(`/api/conversations/${id}/${archived ? "archive" : "unarchive"}`);
    notice(archived ? "Archived." : "Back in the inbox.", "ok");
    await Promise.all([loadList(), loadConversation()]);
  } catch (err) {
    notice(errorText(err), "error");
  }
}

async function remove(id, opener) {
  const sure = await confirmDialog({
    title: "Delete this conversation?",
    text: "Every message of this conversation is deleted. This cannot be undone.",
    confirm: "Delete",
    danger: true,
    opener,
  });
  if (!sure) return;
  try {
    await api("DELETE", `/api/conversations/${id}`);
    drafts.delete(id);
    state.open = null;
    state.conv = null;
    renderConversation();
    notice("Conversation deleted.", "ok");
    await loadList();
  } catch (err) {
    notice(errorText(err), "error");
  }
}

composer.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = text.value.trim();
  if (state.open === null || send.disabled) return;
  const id = state.open;
  const attached = attachedTo(id);
  if (attached.uploading) {
    notice("The picture is still uploading; send it in a moment.", "error");
    return;
  }
  // A picture may go alone.
  const mediaIds = attached.ids();
  if (!body && !mediaIds.length) return;
  /** @type {Record<string, any>} */
  const payload = { body };
  if (mediaIds.length) payload.media_ids = mediaIds;
  send.disabled = true;
  try {
    await post(`/api/conversations/${id}/messages`, payload);
    drafts.delete(id);
    attached.clear();
    if (state.open === id) text.value = "";
    await Promise.all([loadConversation(), loadList()]);
  } catch (err) {
    // What the person typed, and what they attached, stay in the composer.
    notice(errorText(err), "error");
  } finally {
    send.disabled = !!(state.conv && state.conv.opt_out && state.conv.opt_out.opted_out);
  }
});
text.addEventListener("input", () => drafts.set(state.open, text.value));
text.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && ev.shiftKey) {
    ev.preventDefault();
    composer.requestSubmit();
  }
});

async function start(body) {
  try {
    const conv = await post("/api/inbox/conversations", body);
    startForm.hidden = true;
    newButton.setAttribute("aria-expanded", "false");
    phone.value = "";
    await loadList();
    await openConversation(conv.id);
  } catch (err) {
    notice(errorText(err), "error");
  }
}

startForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (phone.value.trim()) start({ phone: phone.value.trim() });
});

const loadContacts = reloader(async () => {
  const page = await get(`/api/address-book${query({ search: contactSearch.value.trim(), limit: 20 })}`);
  if (!page.contacts.length) return message(contacts, "Nobody in the address book matches.");
  fill(contacts, page.contacts.map((c) => h("li", {},
    h("button", { type: "button", class: "conv-row", onclick: () => start({ contact_id: c.id }) },
      h("span", {}, label(c)), h("span", { class: "conv-meta" }, c.phone)))));
});

newButton.addEventListener("click", () => {
  startForm.hidden = !startForm.hidden;
  newButton.setAttribute("aria-expanded", String(!startForm.hidden));
  if (!startForm.hidden) {
    loadContacts();
    phone.focus();
  }
});
contactSearch.addEventListener("input", debounce(() => loadContacts(), 250));
// A new search or view starts again at the first page.
search.addEventListener("input", debounce(() => { state.rows = []; loadList(); }, 250));
showArchived.addEventListener("change", () => { state.rows = []; loadList(); });
loadMore.addEventListener("click", async () => {
  if (!state.next) return;
  loadMore.disabled = true;
  try {
    const page = await nextRows(listParams(), state.next);
    const shown = new Set(state.rows.map((r) => r.id));
    state.rows.push(...page.rows.filter((r) => !shown.has(r.id)));
    state.next = page.next;
    loadMore.hidden = !state.next;
    renderList();
  } catch (err) {
    notice(errorText(err), "error");
  } finally {
    loadMore.disabled = false;
  }
});
selectAll.addEventListener("change", () => {
  for (const r of state.rows) {
    if (selectAll.checked) state.selected.add(r.id);
    else state.selected.delete(r.id);
  }
  renderList();
});
archiveSelected.addEventListener("click", async () => {
  try {
    await post("/api/conversations/archive", { conversation_ids: [...state.selected] });
    notice(`${state.selected.size} archived.`, "ok");
    state.selected.clear();
    selectionChanged();
    await loadList();
  } catch (err) {
    notice(errorText(err), "error");
  }
});

const picker = await inboxUserPicker(user, viewing);
fill(root,
  isSweeper(user) ? siteNav(user) : null,
  h("div", { class: "messenger-head" }, h("h1", { id: "page-title" }, "Inbox"), picker, viewing === user.id ? newButton : null),
  startForm,
  h("div", { class: "messenger inbox" },
    h("section", { class: "conv-list-pane", "aria-label": "Inbox conversations" },
      h("div", { class: "list-tools" },
        h("label", { for: search.id, class: "sr-only" }, "Search conversations"), search,
        h("label", { class: "checkbox", for: showArchived.id }, showArchived, " Archived"),
        h("label", { class: "checkbox", for: selectAll.id }, selectAll, " Select all"),
        archiveSelected),
      listEl,
      loadMore),
    h("div", { class: "conv" }, main)));
renderConversation();

followChannel({
  channel: `inbox:${viewing}`,
  token,
  reload: loadList,
  rereadCampaign: () => {},
  onEvent: (kind, data) => {
    loadList();
    const id = kind === "message" || kind === "scheduled" ? data.conversation_id : data.id;
    if (id !== state.open) return;
    if (kind === "conversation_deleted") {
      state.open = null;
      state.conv = null;
      renderConversation();
      notice("This conversation was deleted.", "info");
    } else loadConversation();
  },
});
