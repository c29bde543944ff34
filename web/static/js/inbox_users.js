// Whose inbox the page shows: the person's own, or, for owners, admins and
// moderators, another user's (GET /api/inbox?user=…, live on inbox:{uid}).
// The choice is in the address (/inbox?user=ID), so a reload or a shared
// link shows the same inbox.

import { get, isSweeper } from "./api.js";
import { fullName, h, notice } from "./ui.js";

/** The id of the inbox to show: `?user=` for sweepers, else the person's own. */
export function viewedUser(me) {
  const raw = new URLSearchParams(location.search).get("user");
  const id = raw && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
  return id && isSweeper(me) ? id : me.id;
}

/**
 * The "Inbox of" picker (sweepers only; null for anyone else). Choosing a
 * user opens their inbox.
 * @param {any} me
 * @param {number} viewing
 * @returns {Promise<HTMLElement | null>}
 */
export async function inboxUserPicker(me, viewing) {
  if (!isSweeper(me)) return null;
  let users = [];
  try {
    users = (await get("/api/users")).users.filter((u) => u.active !== false);
  } catch {
    notice("The list of users could not be loaded.", "error");
  }
  if (!users.some((u) => u.id === viewing)) users.push({ id: viewing, first_name: `User ${viewing}`, last_name: "" });
  users.sort((a, b) => (a.id === me.id ? -1 : b.id === me.id ? 1 : fullName(a).localeCompare(fullName(b))));
  const select = h("select", { id: "inbox-user" },
    users.map((u) => h("option", { value: String(u.id), selected: u.id === viewing },
      u.id === me.id ? `${fullName(u) || u.email} (you)` : fullName(u) || u.email)));
  select.addEventListener("change", () => {
    const id = Number(select.value);
    location.assign(id === me.id ? "/inbox" : `/inbox?user=${id}`);
  });
  return h("div", { class: "field inbox-user" }, h("label", { for: select.id }, "Inbox of"), select);
}
