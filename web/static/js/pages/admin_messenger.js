// Admin Messenger: one sender's (or the Unassigned pool's) conversations, as a sweeper sees them.
import { get, isSweeper, requireSession } from "../api.js";
import { campaignRereader, followChannel } from "../boot.js";
import { CampaignBanners } from "../campaign.js";
import { ConversationView, loadReplies } from "../conversation.js";
import { ConversationList } from "../convlist.js";
import { UNASSIGNED, slotKey, withUnassigned } from "../slots.js";
import { loadSort, sortRows } from "../sort.js";
import { fullName, h, notice, reloader, topBar, fill } from "../ui.js";

const parts = location.pathname.split("/");
const cid = Number(parts[2]);
let sender = slotKey(decodeURIComponent(parts[4] || UNASSIGNED));
const { user, token } = requireSession();
if (!isSweeper(user)) location.replace(`/send/${cid}`);

/** @type {{ rows: import("../slots.js").SenderRow[] }} */
const state = { rows: [] };
const labelOf = (row) => (row.user_id === null ? "Unassigned" : fullName(row) || `Sender ${row.user_id}`);

const switcher = h("select", { id: "viewing-as" });
const nextButton = h("button", { type: "button", id: "next-sender" }, "Next Sender");
const presence = h("span", { class: "dot dot-offline", role: "img", "aria-label": "Offline", id: "viewing-dot" });
const stats = h("span", { class: "viewing-stats", id: "viewing-stats" });
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
  tab: "responses",
  onSelect: (row) => {
    view.mode = list.tab;
    document.body.classList.add("show-thread");
    view.open(row.id);
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

function ordered() {
  return sortRows(state.rows, loadSort(cid));
}

function renderBar() {
  const rows = ordered();
  fill(switcher, ...rows.map((r) => h("option", { value: slotKey(r.user_id), selected: slotKey(r.user_id) === sender }, labelOf(r))));
  const row = rows.find((r) => slotKey(r.user_id) === sender);
  const online = !!(row && row.online);
  presence.hidden = !row || row.user_id === null;
  presence.className = `dot ${online ? "dot-online" : "dot-offline"}`;
  presence.setAttribute("aria-label", online ? "Online" : "Offline");
  stats.textContent = row ? `${row.sent}/${row.assigned} sent · ${row.needs_reply} need a reply` : "";
}

function viewSender(next) {
  if (next === sender) return;
  sender = next;
  history.replaceState(null, "", `/campaigns/${cid}/messenger/${encodeURIComponent(sender)}`);
  view.close();
  document.body.classList.remove("show-thread");
  list.setSender(sender);
  renderBar();
}

const reload = reloader(async () => {
  const [campaign, overview] = await Promise.all([get(`/api/campaigns/${cid}`), get(`/api/campaigns/${cid}/overview`)]);
  state.rows = withUnassigned(overview.senders || []);
  banners.apply(campaign);
  renderBar();
  await list.reload();
  await view.refresh();
  document.body.dataset.loaded = "true";
}, (err) => notice(err.message || String(err), "error"));

function onEvent(kind, data) {
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
    notice(`${n} conversation${n === 1 ? "" : "s"} ${moved} ${labelOf(state.rows.find((r) => slotKey(r.user_id) === sender) || { user_id: null })}.`);
  }
}

async function main() {
  document.body.prepend(
    topBar("Admin Messenger", [
      { href: "/campaigns", label: "Campaigns" },
      { href: `/campaigns/${cid}`, label: "Overview" },
    ]),
  );
  const reloadReplies = async () => view.setReplies(await loadReplies(cid));
  switcher.addEventListener("change", () => viewSender(switcher.value));
  nextButton.addEventListener("click", () => {
    const rows = ordered();
    const i = rows.findIndex((r) => slotKey(r.user_id) === sender);
    if (rows.length) viewSender(slotKey(rows[(i + 1) % rows.length].user_id));
  });
  const bar = h(
    "div",
    { class: "viewing-as", role: "region", "aria-label": "Sender switcher" },
    h("label", { for: "viewing-as" }, "Viewing as"),
    presence,
    switcher,
    nextButton,
    stats,
  );
  fill(document.getElementById("main"), 
    bar,
    banners.el,
    h("div", { class: "messenger" }, list.el, view.el),
  );
  followChannel({ channel: `campaign:${cid}`, token, reload, rereadCampaign, onEvent, onCampaign });
  reloadReplies();
  await reload();
}

main();
