// Where a Messenger is, kept in its address: the tab and the open conversation
// (the campaign and the sender are in the path). A reload comes back to the
// same place, and Back goes back one step.

/**
 * The tab and conversation the address names.
 * @returns {{ tab: string | null, conversation: number | null }}
 */
export function readPlace() {
  const q = new URLSearchParams(location.search);
  const id = Number(q.get("conversation"));
  return { tab: q.get("tab"), conversation: Number.isInteger(id) && id > 0 ? id : null };
}

/**
 * Put `path` with this tab and conversation in the address: as a new step of
 * the history when the user moved (`push`), in place when the page did.
 * @param {string} path
 * @param {{ tab: string | null, conversation: number | null }} where
 * @param {boolean} push
 */
export function writePlace(path, { tab, conversation }, push) {
  if (restoring) return; // Back or Forward put the address there already
  const q = new URLSearchParams();
  if (tab) q.set("tab", tab);
  if (conversation) q.set("conversation", String(conversation));
  const url = q.toString() ? `${path}?${q}` : path;
  if (url === location.pathname + location.search) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

let restoring = false;

/**
 * Run `fn` to bring the page to the place Back or Forward went to, without
 * adding steps to the history meanwhile.
 * @param {() => void} fn
 */
export function restorePlace(fn) {
  restoring = true;
  try {
    fn();
  } finally {
    restoring = false;
  }
}

/** True when this page was loaded by a reload (not opened from a link). */
export function wasReloaded() {
  const nav = performance.getEntriesByType("navigation")[0];
  return !!nav && /** @type {PerformanceNavigationTiming} */ (nav).type === "reload";
}
