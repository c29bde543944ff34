// A campaign's audit log (sweepers): who moved, opted out or changed what, and
// when; filtered by action and person, a page at a time, downloadable as CSV.
import { get, query } from "../api.js";
import { download } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, fill, fmtTime, fullName, h, message, notice } from "../ui.js";

const cid = Number(location.pathname.split("/")[2]);
const { root, token } = await organizerPage({ title: "Audit log", cid });

/** @type {[string, string][]} */
const ACTIONS = [
  ["", "Every action"],
  ["reassign", "Bulk move"],
  ["rebalance", "Moved from offline senders"],
  ["auto_rebalance", "Moved automatically from offline senders"],
  ["release", "Done for today"],
  ["reassign_one", "One conversation moved"],
  ["sender_removed", "Sender removed"],
  ["opt_out", "Opt-out"],
  ["opt_in", "Opt-in"],
  ["status_changed", "Campaign state"],
  ["conversation_deleted", "Conversation deleted"],
];
const LABELS = new Map(ACTIONS);

const actionSelect = h("select", { id: "audit-action" }, ACTIONS.map(([v, label]) => h("option", { value: v }, label)));
const actorSelect = h("select", { id: "audit-actor" }, h("option", { value: "" }, "Anyone"));
const tbody = h("tbody", { id: "audit-body" });
const more = h("button", { type: "button", id: "audit-more", hidden: true }, "Show more");
const csvButton = h("button", { type: "button", id: "audit-csv" }, "Download CSV");
let next = null;

function filters() {
  return { action: actionSelect.value || undefined, actor: actorSelect.value || undefined };
}

function describe(entry) {
  const d = entry.detail || {};
  if (d.per_target) {
    const to = Object.entries(d.per_target).map(([k, n]) => `${n} to ${k === "unassigned" ? "Unassigned" : `sender ${k}`}`);
    return `${d.moved} moved${to.length ? `: ${to.join(", ")}` : ""}`;
  }
  if (entry.action === "status_changed") return `${d.from} → ${d.to}`;
  if (d.conversation_ids) return `${d.conversation_ids.length} conversation(s), ${d.source}`;
  if (entry.action === "conversation_deleted") return `Conversation ${d.conversation_id}`;
  if (entry.action === "reassign_one") return `Conversation ${d.conversation_id}: ${d.from ?? "Unassigned"} → ${d.to ?? "Unassigned"}`;
  return JSON.stringify(d);
}

function row(entry) {
  return h("tr", { dataset: { entry: String(entry.id) } },
    h("td", {}, fmtTime(entry.at)),
    h("td", { class: "audit-actor" }, entry.actor ? fullName(entry.actor) : "System"),
    h("td", { class: "audit-action" }, LABELS.get(entry.action) || entry.action),
    h("td", { class: "audit-detail" }, describe(entry)),
  );
}

async function load(append) {
  try {
    const page = await get(`/api/campaigns/${cid}/audit${query({ ...filters(), cursor: append ? next : undefined })}`);
    if (!append) fill(tbody);
    tbody.append(...page.entries.map(row));
    if (!append && !page.entries.length) fill(tbody, h("tr", {}, h("td", { colspan: 4 }, message(h("span"), "Nothing recorded yet."))));
    next = page.next_cursor;
    more.hidden = next === null;
    document.body.dataset.loaded = "true";
  } catch (err) {
    notice(errorText(err), "error");
  }
}

actionSelect.addEventListener("change", () => load(false));
actorSelect.addEventListener("change", () => load(false));
more.addEventListener("click", () => load(true));
csvButton.addEventListener("click", () =>
  download(`/api/campaigns/${cid}/audit.csv${query(filters())}`, `campaign-${cid}-audit.csv`, token).catch((err) =>
    notice(err.message, "error")));

root.append(
  h("div", { class: "toolbar" },
    h("label", { for: actionSelect.id }, "Action"), actionSelect,
    h("label", { for: actorSelect.id }, "Person"), actorSelect,
    csvButton),
  h("div", { class: "table-wrap" },
    h("table", { class: "table audit", id: "audit" },
      h("caption", { class: "sr-only" }, "Audit log, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "Action", "What"].map((t) => h("th", { scope: "col" }, t)))),
      tbody)),
  more,
);

get("/api/users").then((data) => {
  for (const u of data.users || []) actorSelect.append(h("option", { value: String(u.id) }, fullName(u) || `User ${u.id}`));
}).catch(() => { /* moderators may not list users: filter by action only */ });
load(false);
