// The inbox list in pages (GET /api/inbox's next_cursor). A reload after a
// live event fetches as many rows as the list shows, so the rows loaded with
// "Load more" stay on the screen.

import { get, query } from "./api.js";

export const PAGE = 50;
const MAX_LIMIT = 200; // the server's largest page

/**
 * The first `wanted` rows of the list (at least one page), and the cursor after them.
 * @param {Record<string, string | number | null>} params
 * @param {number} wanted
 * @returns {Promise<{ rows: any[], next: string | null }>}
 */
export async function firstRows(params, wanted) {
  const rows = [];
  let next = null;
  const goal = Math.max(PAGE, wanted);
  do {
    const limit = Math.min(MAX_LIMIT, goal - rows.length);
    const page = await get(`/api/inbox${query({ ...params, limit, cursor: next })}`);
    rows.push(...page.conversations);
    next = page.next_cursor;
  } while (next && rows.length < goal);
  return { rows, next };
}

/**
 * The page after `cursor`.
 * @param {Record<string, string | number | null>} params
 * @param {string} cursor
 */
export async function nextRows(params, cursor) {
  const page = await get(`/api/inbox${query({ ...params, limit: PAGE, cursor })}`);
  return { rows: page.conversations, next: page.next_cursor };
}
