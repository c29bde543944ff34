// What the server puts in every page shell (server/pages.py): the close-code
// table of the live connection and the longest export range, so no number is
// copied by hand into a script.

/**
 * @typedef {"reconnect" | "login"} CloseAction
 * @typedef {{ name: string, meaning: string, action: CloseAction }} CloseCodeInfo
 * @typedef {{ close_codes: Record<string, CloseCodeInfo>, export_max_days?: number }} PageConfig
 */

/** @type {PageConfig | null} */
let cached = null;

/** The page's configuration, read once from `#shiftline-config`. */
export function pageConfig() {
  if (cached) return cached;
  const el = document.getElementById("shiftline-config");
  /** @type {PageConfig} */
  let config = { close_codes: {} };
  try {
    if (el && el.textContent) config = { ...config, ...JSON.parse(el.textContent) };
  } catch {
    console.error("shiftline: the page's configuration is not valid JSON");
  }
  cached = config;
  return config;
}

/**
 * What to do after the server closed the live connection with `code`: log in
 * again, or reconnect with `since` (also for codes the table does not know,
 * such as 1006 when the network drops).
 * @param {number} code
 * @param {Record<string, CloseCodeInfo>} [table]
 * @returns {CloseAction}
 */
export function closeAction(code, table = pageConfig().close_codes) {
  const info = table[String(code)];
  return info && info.action === "login" ? "login" : "reconnect";
}
