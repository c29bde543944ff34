// The senders table's order, shared by the overview and the Admin Messenger's
// Next Sender so that "next" means the row below in the table the admin saw.

export const SORT_KEYS = ["sender", "progress", "needs_reply", "oldest_wait", "last_action", "sent_10"];
// The keys the server's overview sorts by; the others sort on the page.
export const SERVER_SORT_KEYS = ["sender", "progress", "needs_reply"];
const DEFAULT = { key: "sender", order: "asc" };

const storageKey = (cid) => `shiftline.overview-sort.${cid}`;

export function loadSort(cid) {
  try {
    const s = JSON.parse(localStorage.getItem(storageKey(cid)) || "null");
    if (s && SORT_KEYS.includes(s.key) && (s.order === "asc" || s.order === "desc")) return s;
  } catch {
    /* fall through */
  }
  return { ...DEFAULT };
}

export function saveSort(cid, sort) {
  localStorage.setItem(storageKey(cid), JSON.stringify(sort));
}

/**
 * The order after a click on column `key` (seed 001): the first click on a
 * column sorts it from the top down — Sender Z to A, Progress from the most
 * assigned, Needs Reply from the most waiting — and a second click flips it.
 * @param {{ key: string, order: string }} current
 * @param {string} key
 */
export function nextSort(current, key) {
  if (current.key === key) return { key, order: current.order === "asc" ? "desc" : "asc" };
  return { key, order: "desc" };
}

const text = (v) => (v || "").toLocaleLowerCase();
// Only senders are compared: sortRows puts the Unassigned row (user_id null) apart, first.
const byName = (a, b) =>
  text(a.first_name).localeCompare(text(b.first_name)) ||
  text(a.last_name).localeCompare(text(b.last_name)) ||
  Number(a.user_id) - Number(b.user_id);

const COMPARE = {
  // The contract: `sender` by first name; `progress` by assigned, then sent;
  // `needs_reply` by its count. Ties fall back to the name A to Z (as the
  // server's overview does), for a stable table.
  sender: byName,
  progress: (a, b) => a.assigned - b.assigned || a.sent - b.sent,
  needs_reply: (a, b) => a.needs_reply - b.needs_reply,
  // Shift control: the longest wait, the longest since a send, the fastest pace.
  oldest_wait: (a, b) => since(a.oldest_needs_reply_at) - since(b.oldest_needs_reply_at),
  last_action: (a, b) => since(a.last_action_at, NEVER) - since(b.last_action_at, NEVER),
  sent_10: (a, b) => (a.sent_last_10_min || 0) - (b.sent_last_10_min || 0),
};

// A sender who never sent has been idle longest.
const NEVER = Number.MAX_SAFE_INTEGER;

/** Milliseconds since `iso`; `none` when there is none. */
function since(iso, none = -1) {
  return iso ? Date.now() - Date.parse(iso) : none;
}

/** Rows in table order: the Unassigned row first whatever the sort. */
export function sortRows(rows, { key, order }) {
  const cmp = COMPARE[key] || COMPARE.sender;
  const sign = order === "desc" ? -1 : 1;
  const unassigned = rows.filter((r) => r.user_id === null);
  const senders = rows.filter((r) => r.user_id !== null).sort((a, b) => sign * cmp(a, b) || byName(a, b));
  return [...unassigned, ...senders];
}

/** Rows whose sender's first or last name contains `search` (the Unassigned row always stays). */
export function filterRows(rows, search) {
  const q = text(search).trim();
  if (!q) return rows;
  return rows.filter(
    (r) => r.user_id === null || `${text(r.first_name)} ${text(r.last_name)}`.includes(q),
  );
}
