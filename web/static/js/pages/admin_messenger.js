// Admin Messenger: one sender's (or the Unassigned pool's) conversations, as a sweeper sees them.
import { get, isSweeper, requireSession } from "../api.js";
import { campaignRereader, followChannel } from "../boot.js";
import { viewers, viewingText } from "../shift.js";
import { CampaignBanners } from "../campaign.js";
import { ConversationView, loadReplies } from "../conversation.js";
import { ConversationList } from "../convlist.js";
import { readPlace, restorePlace, writePlace } from "../place.js";
import { menuButton } from "../menu.js";
import { openReassign } from "../reassign.js";
import { UNASSIGNED, slotKey, withUnassigned } from "../slots.js";
import { filterRows, loadSort, nextSort, saveSort, sortRows } from "../sort.js";
import { SenderSwitcher, rowLabel } from "../switcher.js";
import { errorText, fill, h, notFound, notice, placeTopBar, plural, reloader, topBar } from "../ui.js";

const parts = location.pathname.split("/");
const cid = Number(parts[2]);
let sender = slotKey(decodeURIComponent(parts[4] || UNASSIGNED));
const { user, token } = await requireSession();
if (!isSweeper(user)) location.replace(`/send/${cid}`);

/** @type {{ rows: import("../slots.js").SenderRow[], missing: boolean }} */
const state = { rows: [], missing: false };
const place = readPlace();

const stats = h("span", { class: "viewing-stats", id: "viewing-stats", "aria-live": "polite" });
const banners = new CampaignBanners({
  show: (campaign) => {
    document.title = `${campaign.title} · Admin Messenger · shiftline`;
    view.setCampaign(campaign);
  },
  // Who can get an initial message changes with the window too.
  onWindowChange: () => list.reload(),
});

const list = new ConversationList({
  cid,
  sender,
  tab: place.tab || "responses",
  onSelect: (row) => openConversation(row.id, true),
  onTab: (tab, auto) => {
    // Initial Messages went away under an open conversation: it stays open.
    if (auto) return writePlace(address(), { tab, conversation: view.id }, false);
    writePlace(address(), { tab, conversation: null }, true);
    view.close();
    document.body.classList.remove("show-thread");
  },
});
const view = new ConversationView({
  me: user,
  admin: true,
  assignees: () => state.rows,
  onBack: () => document.body.classList.remove("show-thread"),
  onSent: () => banners.sent(),
  onLocked: (err) => onLocked(err),
});

// The campaign's state comes with the `campaign` events; it is re-read after
// a refused send and after every reconnect.
const { reread: rereadCampaign, onLocked, apply: onCampaign } = campaignRereader(cid, banners);

const address = () => `/campaigns/${cid}/messenger/${encodeURIComponent(sender)}`;

/** Senders in the order last used on the overview's table (Unassigned first). */
function ordered() {
  return sortRows(state.rows, loadSort(cid));
}

const switcher = new SenderSwitcher({
  rows: () => filterRows(ordered(), switcherSearch()),
  current: () => sender,
  sort: () => loadSort(cid),
  onSort: (key) => {
    saveSort(cid, nextSort(loadSort(cid), key));
    renderBar();
  },
  onPick: (key) => viewSender(key, true),
});
const switcherSearch = () => switcher.search.value;

const nextButton = h("button", { type: "button", id: "next-sender" }, "Next Sender");
// Its items follow the sender viewed (renderBar).
const reassign = menuButton({ content: "Reassign", id: "viewing-reassign", menuId: "viewing-reassign-menu", className: "viewing-reassign", items: [] });

function currentRow() {
  return state.rows.find((r) => slotKey(r.user_id) === sender) || null;
}

function renderBar() {
  const row = currentRow();
  switcher.render();
  stats.textContent = row ? `${row.sent}/${row.assigned} sent · ${plural(row.needs_reply, "conversation")} need${row.needs_reply === 1 ? "s" : ""} a reply` : "";
  // Who else views this sender: after a switch, the viewers already heard of, with no new event.
  showOthers();
  // The Viewing-as bar's Reassign menu acts on the sender viewed (contract); the pool has nothing to unassign.
  const items = [
    sender === UNASSIGNED ? null : ["unassign_all", "Unassign All"],
    ["reassign_some", "Reassign Some"],
    ["reassign_all", "Reassign All"],
  ].filter((item) => item !== null);
  reassign.setItems(items.map(([action, label]) => ({ label, action: (/** @type {HTMLButtonElement} */ opener) => bulk(action, opener) })));
}

/**
 * @param {string} action
 * @param {HTMLButtonElement} opener
 */
async function bulk(action, opener) {
  const row = currentRow();
  await openReassign({
    cid,
    senders: state.rows.filter((r) => r.user_id !== null),
    from: sender === UNASSIGNED ? null : [Number(sender)],
    fromLabel: row ? rowLabel(row) : "",
    action,
    held: row ? row.assigned : null,
    opener,
  });
}

function openConversation(id, push) {
  writePlace(address(), { tab: list.tab, conversation: id }, push);
  view.mode = list.tab;
  document.body.classList.add("show-thread");
  return view.open(id);
}

// Who else sweeps which sender right now (live-only `viewing` events).
const names = new Map();
const othersEl = h("span", { class: "viewing-others", id: "viewing-others", "aria-live": "polite" });
const viewedId = () => (sender === UNASSIGNED ? null : Number(sender));
/** @type {Map<number, number | null>} */
let othersSeen = new Map();
// Shown again when the names arrive: a viewer heard of first is "User <id>" until then.
// Written only when it changes: the line is a live region, read out at each write.
const showOthers = () => {
  const text = viewingText(othersSeen, viewedId(), names);
  if (othersEl.textContent !== text) othersEl.textContent = text;
};
const viewing = viewers({
  cid, me: user.id, sender: viewedId,
  onChange: (others) => {
    othersSeen = others;
    showOthers();
  },
});

function viewSender(next, push) {
  if (next === sender) return;
  sender = next;
  viewing.announce();
  writePlace(address(), { tab: list.tab, conversation: null }, push);
  view.close();
  document.body.classList.remove("show-thread");
  list.setSender(sender);
  renderBar();
}

// Back and Forward retrace the sweeper's steps: sender, tab and conversation.
window.addEventListener("popstate", () => restorePlace(() => {
  const next = slotKey(decodeURIComponent(location.pathname.split("/")[4] || UNASSIGNED));
  const { tab, conversation } = readPlace();
  if (next !== sender) {
    sender = next;
    viewing.announce();
    list.setSender(sender);
    renderBar();
  }
  if (tab && tab !== list.tab) list.setTab(tab);
  if (conversation) {
    list.selected = conversation;
    view.mode = list.tab;
    document.body.classList.add("show-thread");
    view.open(conversation);
  } else {
    view.close();
    document.body.classList.remove("show-thread");
  }
}));

let firstLoad = true;
const reload = reloader(async () => {
  const [campaign, overview] = await Promise.all([get(`/api/campaigns/${cid}`), get(`/api/campaigns/${cid}/overview`)]);
  state.rows = withUnassigned(overview.senders || []);
  banners.apply(campaign);
  renderBar();
  await list.reload();
  if (firstLoad && place.conversation) {
    // The address names a conversation: open it again (a reload keeps the place).
    list.selected = place.conversation;
    list.render();
    await openConversation(place.conversation, false);
  } else {
    await view.refresh();
  }
  firstLoad = false;
  document.body.dataset.loaded = "true";
}, (err) => {
  if (err.status === 404 || err.status === 403) {
    state.missing = true;
    notFound(/** @type {HTMLElement} */ (document.getElementById("main")), "This campaign");
  } else if (err.code !== "offline") notice(errorText(err), "error");
});

function onEvent(kind, data) {
  if (state.missing) return;
  if (kind === "viewing") {
    viewing.onEvent(kind, data);
    return;
  }
  if (kind === "typing") {
    view.onEvent(kind, data);
    return;
  }
  if (kind === "presence" || kind === "sender_stats") {
    const row = state.rows.find((r) => slotKey(r.user_id) === slotKey(data.user_id));
    if (!row) return void reload();
    if (kind === "presence") row.online = !!data.online;
    else Object.assign(row, { assigned: data.assigned, sent: data.sent, needs_reply: data.needs_reply });
    renderBar();
    return;
  }
  list.onEvent(kind, data);
  view.onEvent(kind, data);
  if (kind === "reassigned" && (slotKey(data.from) === sender || slotKey(data.to) === sender)) {
    const n = (data.conversation_ids || []).length;
    const moved = slotKey(data.from) === sender ? "moved away from" : "moved to";
    notice(`${plural(n, "conversation")} ${moved} ${rowLabel(currentRow() || { user_id: null })}.`);
  }
}

async function main() {
  placeTopBar(
    topBar("Admin Messenger", [
      { href: "/campaigns", label: "Campaigns" },
      { href: `/campaigns/${cid}`, label: "Overview" },
    ]),
  );
  nextButton.addEventListener("click", () => {
    const rows = ordered();
    const i = rows.findIndex((r) => slotKey(r.user_id) === sender);
    if (rows.length) viewSender(slotKey(rows[(i + 1) % rows.length].user_id), true);
  });
  const bar = h(
    "div",
    { class: "viewing-as", role: "region", "aria-label": "Viewing as" },
    h("span", { class: "viewing-label", id: "viewing-label" }, "Viewing as"),
    switcher.el,
    stats,
    othersEl,
    h("span", { class: "viewing-tools" },
      nextButton,
      reassign.el,
    ),
  );
  fill(/** @type {HTMLElement} */ (document.getElementById("main")),
    bar,
    banners.el,
    h("div", { class: "messenger" }, list.el, view.el),
  );
  get("/api/users").then((data) => {
    for (const u of data.users || []) names.set(u.id, u);
    showOthers();
  }).catch(() => { /* moderators may not list users: "User <id>" then */ });
  followChannel({
    channel: `campaign:${cid}`, token, reload, rereadCampaign, onEvent, onCampaign,
    onSubscribed: (live) => {
      viewing.attach(live);
      viewing.announce();
      view.typing.attach(live, `campaign:${cid}`);
    },
  });
  view.setReplies(await loadReplies(cid));
}

main();
