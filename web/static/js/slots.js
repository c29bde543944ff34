// The Unassigned pool is `null` in the API and in events; the pages key their
// rows, URLs and queries by one string per slot, made here only.

export const UNASSIGNED = "unassigned";

/**
 * The key of a sender's slot: the user id as a string, or "unassigned" for
 * the pool (null or a missing id).
 * @param {number | string | null | undefined} userId
 * @returns {string}
 */
export function slotKey(userId) {
  return userId === null || userId === undefined || userId === UNASSIGNED ? UNASSIGNED : String(userId);
}

/**
 * @typedef {object} SenderRow  a row of the campaign overview's `senders`
 * @property {number | null} user_id
 * @property {string} first_name
 * @property {string} last_name
 * @property {boolean} online
 * @property {number} assigned
 * @property {number} sent
 * @property {number} needs_reply
 */

/**
 * The overview's rows, with an empty Unassigned row first when the server sent none.
 * @param {SenderRow[]} rows
 * @returns {SenderRow[]}
 */
export function withUnassigned(rows) {
  const copies = rows.map((r) => ({ ...r }));
  if (copies.some((r) => r.user_id === null)) return copies;
  return [{ user_id: null, first_name: "", last_name: "", online: false, assigned: 0, sent: 0, needs_reply: 0 }, ...copies];
}
