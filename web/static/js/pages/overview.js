// Conversations Overview: the campaign's counts and senders table, live.
import { get, isSweeper, query, requireSession } from "../api.js";
import { campaignRereader, followChannel } from "../boot.js";
import { openReassign } from "../reassign.js";
import { menuButton } from "../menu.js";
import { slotKey, withUnassigned } from "../slots.js";
import { SERVER_SORT_KEYS, filterRows, loadSort, nextSort, saveSort, sortRows } from "../sort.js";
import { broadcastPanel, openRebalance, tickAge, viewers, viewingText } from "../shift.js";
import { CampaignBanners } from "../campaign.js";
import { $, errorText, fullName, h, notFound, notice, placeTopBar, reloader, topBar, fill } from "../ui.js";

const cid = Number(location.pathname.split("/")[2]);
const { user, token } = await requireSession();
if (!isSweeper(user)) location.replace(`/send/${cid}`);

const state = {
  totals: { total: 0, not_started: 0, needs_reply: 0 },
  carrierFiltered: 0, // texts the carriers filtered as spam (30007)
  rows: new Map(), // slotKey(user_id) -> row
  sort: loadSort(cid),
  search: "",
  oldest: null, // the campaign's longest-waiting reply
  alertMinutes: 10, // a wait longer than this is highlighted
  names: new Map(), // user id -> { first_name, last_name }: senders and sweepers
  others: new Map(), // other sweepers' user id -> the sender they view
};

// The senders table's columns (seed 002): [sort key or null, header, cell class].
const COLUMNS = [
  [null, "Status", "col-dot"],
  ["sender", "First Name", "col-first"],
  [null, "Last Name", "col-last"],
  ["progress", "Progress", "col-progress"],
  ["needs_reply", "Needs Reply", "col-needs"],
  ["oldest_wait", "Oldest Wait", "col-wait"],
  ["last_action", "Since Last Send", "col-last-send"],
  ["sent_10", "Sent (10 min)", "col-sent10"],
];

// ---- layout -------------------------------------------------------------

const counts = h(
  "section",
  { class: "counts", "aria-label": "Campaign counts" },
  [
    ["total", "Total"],
    ["not_started", "Not Started"],
    ["needs_reply", "Needs Reply"],
  ].map(([k, label]) =>
    h("div", { class: `count count-${k}` }, h("span", { class: "count-label", id: `label-${k}` }, label),
      h("output", { id: `count-${k}`, class: "count-value", "aria-labelledby": `label-${k}` }, "–")),
  ),
);
const searchBox = h("input", { type: "search", id: "sender-search", placeholder: "Search senders", autocomplete: "off" });
const bulkButton = h("button", { type: "button", id: "bulk-reassign", class: "primary" }, "Bulk Reassign");
const rebalanceButton = h("button", { type: "button", id: "rebalance" }, "Move waiting replies from offline senders");
const auditLink = h("a", { href: `/campaigns/${cid}/audit`, id: "audit-link" }, "Audit log");
const oldestEl = h("output", { id: "oldest-wait", "aria-labelledby": "oldest-wait-label" }, "—");
const oldestBox = h("p", { class: "oldest-wait" }, h("span", { id: "oldest-wait-label" }, "Oldest waiting reply: "), oldestEl);
tickAge(oldestEl, () => state.oldest, () => state.alertMinutes);
const broadcasts = broadcastPanel(cid);
const viewing = viewers({
  cid, me: user.id, sender: () => null,
  onChange: (others) => {
    state.others = others;
    renderRows();
  },
});
const tbody = h("tbody", { id: "senders-body" });
const headRow = h("tr", {});
const table = h(
  "table",
  { class: "table senders", id: "senders" },
  h("caption", { class: "sr-only" }, "Senders of this campaign; column headers sort the table"),
  // Fixed column widths: nothing moves sideways when the rows are sorted or searched.
  h("colgroup", {}, [...COLUMNS.map(([, , cls]) => h("col", { class: cls })), h("col", { class: "col-actions" })]),
  h("thead", {}, headRow),
  tbody,
);
const titleEl = h("h1", { id: "campaign-title" }, "Conversations Overview");
// No sends here, so no refusals: only the campaign's state and window.
const banners = new CampaignBanners({
  show: (campaign) => {
    titleEl.textContent = `${campaign.title || `Campaign ${cid}`}: Conversations Overview`;
    document.title = `${campaign.title || "Campaign"} · Overview · shiftline`;
  },
});

function renderHead() {
  const { key, order } = state.sort;
  fill(headRow, 
    COLUMNS.map(([k, label, cls]) => {
      if (k === null) return h("th", { scope: "col", class: cls }, label);
      const active = k === key;
      return h(
        "th",
        { scope: "col", class: cls, "aria-sort": active ? (order === "asc" ? "ascending" : "descending") : "none" },
        h(
          "button",
          { type: "button", class: "sort", dataset: { sort: k }, onclick: () => setSort(k) },
          label,
          h("span", { class: "sort-arrow", "aria-hidden": "true" }, active ? (order === "asc" ? " ▲" : " ▼") : ""),
        ),
      );
    }),
    h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Actions")),
  );
}

function setSort(k) {
  state.sort = nextSort(state.sort, k);
  saveSort(cid, state.sort);
  renderHead();
  renderRowsNow();
}

// Shown only once a carrier filtered a text: a reason to pause the campaign and check its wording.
const filteredBadge = h("span", {
  class: "badge badge-filtered",
  id: "carrier-filtered",
  role: "status",
  hidden: true,
  title: "Texts the carriers filtered as spam (error 30007)",
});

function renderCounts() {
  for (const k of ["total", "not_started", "needs_reply"]) {
    $(`#count-${k}`).textContent = String(state.totals[k] ?? 0);
  }
  filteredBadge.hidden = state.carrierFiltered <= 0;
  filteredBadge.textContent = `Filtered by carriers: ${state.carrierFiltered}`;
}

function senderName(row) {
  return row.user_id === null ? "Unassigned" : fullName(row) || `Sender ${row.user_id}`;
}

// Rows are built once per sender and patched in place, so an open row menu
// or a focused button survives the live updates; renders are batched.
const rowEls = new Map(); // key -> { tr, name, update(row) }
let renderPending = false;

function renderRows() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => {
    renderPending = false;
    renderRowsNow();
  }, 0);
}

function renderRowsNow() {
  const rows = sortRows(filterRows([...state.rows.values()], state.search), state.sort);
  const wanted = rows.map((row) => {
    const key = slotKey(row.user_id);
    let el = rowEls.get(key);
    if (!el || el.name !== senderName(row)) {
      el = rowEl(row);
      rowEls.set(key, el);
    }
    el.update(row);
    return el.tr;
  });
  // The Unassigned row always stays: say so when no sender matches the search.
  const search = state.search.trim();
  if (search && !rows.some((r) => r.user_id !== null)) {
    wanted.push(h("tr", { class: "row-empty" }, h("td", { colspan: COLUMNS.length + 1 }, `No senders match “${search}”.`)));
  }
  const current = [...tbody.children];
  const same = current.length === wanted.length && current.every((tr, i) => tr === wanted[i]);
  if (!same) fill(tbody, wanted);
}

function rowEl(row) {
  const key = slotKey(row.user_id);
  const name = senderName(row);
  const unassigned = row.user_id === null;
  // Online status has a look of its own; the green dot means a contact waiting for a reply (seed 000).
  const dot = unassigned ? null : h("span", { class: "presence", role: "img" });
  const text = h("span", { class: "progress-text" });
  const bar = h("progress", { max: 100 });
  const needs = h("span", { class: "needs" });
  const wait = h("span", { class: "wait" });
  const lastSend = h("span", { class: "last-send" });
  const sent10 = h("span", { class: "sent10" });
  const seen = h("span", { class: "viewing-others" });
  let current = row;
  tickAge(wait, () => current.oldest_needs_reply_at, () => state.alertMinutes);
  tickAge(lastSend, () => current.last_action_at);
  const tr = h(
    "tr",
    { dataset: { sender: key }, class: unassigned ? "row-unassigned" : "" },
    h("td", { class: "col-dot" }, dot),
    h("td", { class: "col-first col-name" }, h("a", { href: `/campaigns/${cid}/messenger/${key}` }, unassigned ? "Unassigned" : row.first_name)),
    h("td", { class: "col-last" }, unassigned || !row.last_name ? "" : h("a", { href: `/campaigns/${cid}/messenger/${key}`, tabindex: "-1" }, row.last_name)),
    h("td", { class: "col-progress" }, text, bar),
    h("td", { class: "col-needs" }, needs),
    h("td", { class: "col-wait" }, wait),
    h("td", { class: "col-last-send" }, unassigned ? "" : lastSend),
    h("td", { class: "col-sent10" }, unassigned ? "" : sent10),
    h("td", { class: "col-actions" }, seen, rowMenu(row, name)),
  );
  const update = (r) => {
    current = r;
    sent10.textContent = String(r.sent_last_10_min ?? 0);
    seen.textContent = viewingText(state.others, r.user_id, state.names);
    if (dot) {
      const label = r.online ? "Online" : "Offline";
      dot.className = `presence ${r.online ? "presence-online" : "presence-offline"}`;
      dot.setAttribute("aria-label", label);
      dot.title = label;
    }
    text.textContent = `${r.sent}/${r.assigned}`;
    bar.value = r.assigned ? Math.round((100 * r.sent) / r.assigned) : 0;
    bar.setAttribute("aria-label", `${name}: ${r.sent} sent of ${r.assigned} assigned`);
    needs.textContent = String(r.needs_reply);
    needs.className = `needs ${r.needs_reply > 0 ? "needs-some" : ""}`;
  };
  return { tr, name, update };
}

function rowMenu(row, name) {
  const items = [
    // The Unassigned pool has nothing to unassign.
    row.user_id === null ? null : ["unassign_all", "Unassign All"],
    ["reassign_some", "Reassign Some"],
    ["reassign_all", "Reassign All"],
  ].filter((item) => item !== null).map(([action, label]) => ({
    label,
    action: (/** @type {HTMLButtonElement} */ opener) => {
      const current = state.rows.get(slotKey(row.user_id));
      bulk(row.user_id === null ? null : [row.user_id], name, action, opener, current ? current.assigned : null);
    },
  }));
  return menuButton({ content: "⋯", label: `Reassign menu for ${name}`, menuId: `menu-${slotKey(row.user_id)}`, items }).el;
}

async function bulk(from, fromLabel, action, opener, held = null) {
  const senders = [...state.rows.values()].filter((r) => r.user_id !== null);
  if (from === undefined) held = senders.reduce((n, r) => n + r.assigned, 0);
  await openReassign({ cid, senders, from, fromLabel, action, held, opener });
}

// ---- data ---------------------------------------------------------------

// The campaign's state comes with the `campaign` events; it is re-read after every reconnect.
const { reread: rereadCampaign, apply: onCampaign } = campaignRereader(cid, banners);

const reload = reloader(async () => {
  const [campaign, overview] = await Promise.all([
    get(`/api/campaigns/${cid}`),
    get(`/api/campaigns/${cid}/overview${query(serverSort())}`),
  ]);
  if (missing) return;
  banners.apply(campaign);
  state.totals = { total: overview.total, not_started: overview.not_started, needs_reply: overview.needs_reply };
  state.carrierFiltered = overview.carrier_filtered ?? 0;
  state.rows = new Map(withUnassigned(overview.senders || []).map((r) => [slotKey(r.user_id), r]));
  applyShift(overview);
  for (const r of overview.senders || []) if (r.user_id !== null) state.names.set(r.user_id, r);
  renderCounts();
  renderRowsNow();
  document.body.dataset.loaded = "true";
}, (err) => {
  if (err.status === 404 || err.status === 403) {
    missing = true;
    notFound(/** @type {HTMLElement} */ (document.getElementById("main")), "This campaign");
  } else if (err.code !== "offline") notice(errorText(err), "error");
});
let missing = false;

function serverSort() {
  const known = SERVER_SORT_KEYS.includes(state.sort.key);
  return { sort: known ? state.sort.key : "sender", order: known ? state.sort.order : "asc" };
}

function applyShift(overview) {
  state.oldest = overview.oldest_needs_reply_at ?? null;
  state.alertMinutes = overview.waiting_alert_minutes ?? 10;
  for (const r of overview.senders || []) {
    const row = state.rows.get(slotKey(r.user_id));
    if (row) Object.assign(row, { oldest_needs_reply_at: r.oldest_needs_reply_at, last_action_at: r.last_action_at, sent_last_10_min: r.sent_last_10_min });
  }
}

// The waits and the pace come with no event of their own: a change of the
// counters re-reads them, at most every two seconds.
let shiftTimer = 0;
function refreshShift() {
  if (shiftTimer) return;
  shiftTimer = setTimeout(async () => {
    shiftTimer = 0;
    try {
      applyShift(await get(`/api/campaigns/${cid}/overview${query(serverSort())}`));
      renderRows();
    } catch {
      /* the next change, or the next reload, tries again */
    }
  }, 2000);
}

async function loadNames() {
  try {
    const users = await get("/api/users");
    for (const u of users.users || []) state.names.set(u.id, u);
  } catch {
    /* moderators may not list users: viewers then show as "User <id>" */
  }
}

function onEvent(kind, data) {
  if (kind === "broadcast" || kind === "broadcast_ack") {
    broadcasts.onEvent(kind, data);
    return;
  }
  if (kind === "viewing") {
    viewing.onEvent(kind, data);
    return;
  }
  if (kind === "stats" || kind === "sender_stats") refreshShift();
  if (kind === "stats") {
    Object.assign(state.totals, {
      total: data.total ?? state.totals.total,
      not_started: data.not_started ?? state.totals.not_started,
      needs_reply: data.needs_reply ?? state.totals.needs_reply,
    });
    renderCounts();
  } else if (kind === "sender_stats") {
    const row = state.rows.get(slotKey(data.user_id));
    if (!row) {
      reload(); // a sender added since the snapshot
      return;
    }
    Object.assign(row, { assigned: data.assigned, sent: data.sent, needs_reply: data.needs_reply });
    renderRows();
  } else if (kind === "carrier_filtered") {
    state.carrierFiltered = data.carrier_filtered ?? state.carrierFiltered;
    renderCounts();
  } else if (kind === "presence") {
    const row = state.rows.get(slotKey(data.user_id));
    if (!row) return;
    row.online = !!data.online;
    renderRows();
  }
}

// The events the snapshot shows: one seen while a snapshot loads causes another load after it.
const SNAPSHOT_KINDS = new Set(["stats", "sender_stats", "presence", "carrier_filtered", "campaign"]);

async function main() {
  placeTopBar(topBar("Overview", [{ href: "/campaigns", label: "Campaigns" }]));
  const root = document.getElementById("main");
  searchBox.addEventListener("input", () => {
    state.search = searchBox.value;
    renderRowsNow();
  });
  bulkButton.addEventListener("click", () => bulk(undefined, null, "reassign_some"));
  rebalanceButton.addEventListener("click", () => openRebalance(cid, state.names, rebalanceButton));
  renderHead();
  fill(root, 
    titleEl,
    banners.el,
    counts,
    oldestBox,
    filteredBadge,
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "sender-search", class: "sr-only" }, "Search senders by name"),
      searchBox,
      bulkButton,
      rebalanceButton,
      auditLink,
    ),
    h("div", { class: "table-wrap" }, table),
    broadcasts.el,
  );
  await loadNames();
  broadcasts.load(state.names).catch((err) => notice(errorText(err), "error"));
  // The first snapshot loads once the channel is followed (or sooner, should the connection be slow).
  followChannel({
    channel: `campaign:${cid}`, token, reload, rereadCampaign, onEvent, onCampaign,
    reloadAfter: (kind) => SNAPSHOT_KINDS.has(kind),
    onSubscribed: (live) => {
      viewing.attach(live);
      viewing.announce();
    },
  });
}

main();
