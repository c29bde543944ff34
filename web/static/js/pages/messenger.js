// The sender's Messenger: their conversations in one campaign, live.
import { get, post, requireSession } from "../api.js";
import { campaignRereader, followChannel } from "../boot.js";
import { broadcastBanner, doneForTodayButton } from "../shift.js";
import { CampaignBanners } from "../campaign.js";
import { ConversationView, drafts, loadReplies } from "../conversation.js";
import { ConversationList } from "../convlist.js";
import { readPlace, restorePlace, wasReloaded, writePlace } from "../place.js";
import { slotKey } from "../slots.js";
import { errorText, fullName, h, notFound, notice, placeTopBar, plural, reloader, topBar, fill } from "../ui.js";

const cid = Number(location.pathname.split("/")[2]);
const { user, token } = await requireSession();
const place = readPlace();
// After a reload no Send button takes the focus by itself: an Enter pressed
// out of habit must not send a text (it does on a fresh start of the queue).
let quietFocus = wasReloaded();
/** @type {{ stats: { assigned: number, sent: number, needs_reply: number } | null }} */
const state = { stats: null };

const stats = h("p", { class: "my-stats", id: "my-stats", "aria-live": "polite" });
const banners = new CampaignBanners({
  show: (campaign) => {
    title.textContent = campaign.title || `Campaign ${cid}`;
    document.title = `${campaign.title} · Messenger · shiftline`;
    view.setCampaign(campaign);
    renderSelfAssign(campaign);
  },
  // Who can get an initial message changes with the window too.
  onWindowChange: () => list.reload(),
});
const title = h("h1", { id: "campaign-title" }, "Messenger");
const selfAssign = h("form", { class: "self-assign", id: "self-assign", hidden: true });

const list = new ConversationList({
  cid,
  sender: user.id,
  tab: place.tab || "initial",
  onSelect: (row) => openRow(row),
  onTab: async (tab, auto) => {
    if (auto) return writePlace(location.pathname, { tab, conversation: view.id }, false);
    writePlace(location.pathname, { tab, conversation: null }, true);
    view.close();
    document.body.classList.remove("show-thread");
    if (QUEUE_TABS.has(tab)) {
      await list.reload();
      if (list.tab === tab && view.id === null) await nextInQueue(false);
    }
  },
});
const view = new ConversationView({
  me: user,
  admin: false,
  onBack: () => {
    backToList = true;
    document.body.classList.remove("show-thread");
  },
  onSent: () => {
    banners.sent();
    if (QUEUE_TABS.has(list.tab)) nextInQueue(true);
  },
  onLocked: (err) => onLocked(err),
});

// On a phone, "← Conversations" pressed while a send is still on its way:
// the person chose the list, so the queue does not pull them back into a thread.
let backToList = false;

function openRow(row, push = true) {
  backToList = false;
  writePlace(location.pathname, { tab: list.tab, conversation: row.id }, push);
  view.mode = list.tab;
  document.body.classList.add("show-thread");
  return view.open(row.id);
}

// Tabs worked as a queue: each send moves on to the next contact.
const QUEUE_TABS = new Set(["initial", "follow_ups"]);

/**
 * Initial Messages (and Follow-ups): open the next contact waiting for a
 * text, with the Send button focused, so one click (or Enter) sends exactly
 * one message.
 */
async function nextInQueue(afterSend) {
  if (afterSend) {
    list.rows = list.rows.filter((r) => r.id !== view.id);
    list.render();
    list.reloadSoon();
    if (backToList) return;
  }
  // Rows still from the tab just left: the new tab's load opens its first one.
  if (list.rowsTab !== list.tab || !QUEUE_TABS.has(list.tab)) return;
  // The sender opened a conversation themselves: it stays open.
  if (!afterSend && view.id !== null) return;
  const row = list.rows[0];
  if (!row) {
    view.close();
    document.body.classList.remove("show-thread");
    return;
  }
  list.selected = row.id;
  list.render();
  await openRow(row, false);
  const button = view.composer.querySelector("button.primary");
  if (button && !button.disabled && !quietFocus) button.focus();
}

function renderStats() {
  const s = state.stats;
  stats.textContent = s ? `${s.sent}/${s.assigned} initial messages sent · ${plural(s.needs_reply, "conversation")} need${s.needs_reply === 1 ? "s" : ""} a reply` : "";
}

function renderSelfAssign(campaign) {
  const on = !!(campaign && campaign.self_assign && campaign.status === "active");
  selfAssign.hidden = !on;
  if (!on || selfAssign.childElementCount) return;
  const count = h("input", { type: "number", id: "self-assign-count", min: 1, max: 500, value: 25 });
  const button = h("button", { type: "submit" }, "Request more conversations");
  selfAssign.append(h("label", { for: count.id }, "How many"), count, button);
  selfAssign.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const res = await post(`/api/campaigns/${cid}/self-assign`, { count: Number(count.value) });
      const n = res ? (res.assigned ?? res.moved ?? res.count ?? (res.conversation_ids || []).length) : 0;
      notice(n ? `You got ${plural(n, "more conversation")}.` : "No unassigned conversations are left.", n ? "ok" : "info");
      quietFocus = false; // asked for work: the first one opens ready to send
      await list.reload();
      if (n && list.initialShown && list.tab !== "initial") {
        list.setTab("initial");
        return;
      }
      if (QUEUE_TABS.has(list.tab) && view.id === null) nextInQueue(false);
    } catch (err) {
      notice(errorText(err), "error");
      if (err.status === 423) onLocked(err);
    } finally {
      button.disabled = false;
    }
  });
}

// The campaign's state comes with the `campaign` events; it is re-read after
// a refused send and after every reconnect.
const { reread: rereadCampaign, onLocked, apply: onCampaign } = campaignRereader(cid, banners);

// sender_stats events seen so far: a read of the counters that one overtook is not shown.
let statsEvents = 0;

const reload = reloader(async () => {
  // The campaign and the sender's own counters (from then on kept by the
  // sender_stats events of the channel, which carry absolute numbers; any
  // other event during this load causes one more load, so an older read never
  // overwrites a newer event).
  const seen = statsEvents;
  const [campaign, mine] = await Promise.all([get(`/api/campaigns/${cid}`), get(`/api/campaigns/${cid}/me`)]);
  if (statsEvents === seen) {
    state.stats = { assigned: mine.assigned, sent: mine.sent, needs_reply: mine.needs_reply };
    renderStats();
  }
  banners.apply(campaign);
  await list.reload();
  if (firstLoad && place.conversation) {
    // The address names a conversation: open it again, with its draft (a reload keeps the place).
    list.selected = place.conversation;
    list.render();
    await openRow({ id: place.conversation }, false);
  } else if (view.id !== null) await view.refresh();
  else if (QUEUE_TABS.has(list.tab)) await nextInQueue(false);
  firstLoad = false;
  document.body.dataset.loaded = "true";
}, (err) => {
  if (err.status === 404 || err.status === 403) {
    missing = true;
    notFound(/** @type {HTMLElement} */ (document.getElementById("main")), "This campaign");
  } else if (err.code !== "offline") notice(errorText(err), "error");
});
let firstLoad = true;
let missing = false;

/**
 * Conversations moved away: say whose, and keep any unsent reply to them
 * where the sender can copy it (it stays stored too, should they come back).
 */
function movedAway(ids) {
  const names = ids.map((id) => {
    const row = list.rows.find((r) => r.id === id);
    const contact = row ? row.contact : id === view.id && view.conv ? view.conv.contact : null;
    return contact ? fullName(contact) || contact.phone : null;
  });
  const known = names.filter(Boolean);
  const others = ids.length - known.length;
  const who = known.length
    ? `${known.join(", ")}${others ? ` and ${plural(others, "other conversation")}` : ""}`
    : plural(ids.length, "conversation");
  const kept = ids.map((id) => [id, drafts.get(id)]).filter(([, text]) => text);
  const extra = kept.length
    ? h("div", { class: "kept-drafts" }, kept.map(([id, text]) => {
        const i = ids.indexOf(id);
        const box = h("textarea", { readonly: true, rows: 2, "aria-label": `Your unsent reply to ${names[i] || "this contact"}` }, text);
        return h("div", { class: "kept-draft" }, box, h("button", {
          type: "button", onclick: () => navigator.clipboard?.writeText(String(text)).then(() => notice("Copied.", "ok"), () => box.select()),
        }, "Copy draft"));
      }))
    : null;
  const what = `${who} ${ids.length === 1 ? "was" : "were"} moved away from you.`;
  notice(kept.length ? `${what} Your unsent reply is kept below.` : what, "info", { sticky: kept.length > 0, extra });
}

// Messages from the organizers, the unacknowledged ones loaded when the page starts.
const broadcasts = broadcastBanner(cid);

function onEvent(kind, data) {
  if (missing) return;
  if (kind === "broadcast") {
    broadcasts.onEvent(kind, data);
    return;
  }
  if (kind === "typing") {
    view.onEvent(kind, data);
    return;
  }
  if (kind === "sender_stats") {
    statsEvents += 1;
    state.stats = { assigned: data.assigned, sent: data.sent, needs_reply: data.needs_reply };
    renderStats();
    return;
  }
  if (kind === "reassigned") {
    const n = (data.conversation_ids || []).length;
    const me = slotKey(user.id);
    if (slotKey(data.to) === me) {
      notice(`${plural(n, "conversation")} reassigned to you.`);
      // Nothing open on a queue tab: open the first newcomer, ready to send.
      if (QUEUE_TABS.has(list.tab) && view.id === null) {
        list.reload().then(() => {
          if (view.id === null) nextInQueue(false);
        });
      }
    }
    else if (slotKey(data.from) === me) movedAway(data.conversation_ids || []);
    if (slotKey(data.from) === me && (data.conversation_ids || []).includes(view.id)) {
      view.close();
      document.body.classList.remove("show-thread");
    }
  }
  if (kind === "message" && data.message && data.message.direction === "inbound" && data.conversation_id !== view.id) {
    notice("New reply received.");
  }
  list.onEvent(kind, data);
  view.onEvent(kind, data);
}

async function main() {
  placeTopBar(topBar("Messenger", [{ href: "/campaigns", label: "Campaigns" }]));
  // Back and Forward retrace the sender's steps through tabs and conversations.
  window.addEventListener("popstate", () => restorePlace(() => {
    const { tab, conversation } = readPlace();
    if (tab && tab !== list.tab) list.setTab(tab);
    if (conversation) {
      list.selected = conversation;
      openRow({ id: conversation }, false);
    } else {
      view.close();
      document.body.classList.remove("show-thread");
    }
  }));
  // The first click or key press is the sender's own: from then on the queue may take the focus.
  document.addEventListener("pointerdown", () => (quietFocus = false), { once: true });
  document.addEventListener("keydown", () => (quietFocus = false), { once: true });
  fill(document.getElementById("main"), 
    h("div", { class: "messenger-head" }, title, stats, selfAssign, doneForTodayButton(cid, () => reload())),
    broadcasts.el,
    banners.el,
    h("div", { class: "messenger" }, list.el, view.el),
  );
  // A held key must not send a second message: only fresh presses count.
  view.composer.addEventListener("keydown", (ev) => {
    if (ev.repeat && (ev.key === "Enter" || ev.key === " ")) ev.preventDefault();
  }, true);
  followChannel({
    channel: `sender:${cid}:${user.id}`, token, reload, rereadCampaign, onEvent, onCampaign,
    // Counters come every tenth of a second in a busy campaign and replace
    // what a load reads (see reload): they need no new load.
    reloadAfter: (kind) => kind !== "sender_stats",
    onSubscribed: (live) => view.typing.attach(live, `sender:${cid}:${user.id}`),
  });
  loadReplies(cid).then((r) => view.setReplies(r));
  broadcasts.load().catch((err) => notice(errorText(err), "error"));
}

main();
