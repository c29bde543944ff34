// Phone Number Lookup: every conversation of one contact's number in the organization's campaigns.
import { get, isSweeper, requireSession } from "../api.js";
import { statusText } from "../convlist.js";
import { slotKey } from "../slots.js";
import { errorText, fill, fmtTime, fullName, h, message, notFound, placeTopBar, topBar } from "../ui.js";

const conversationId = Number(location.pathname.split("/")[2]);
const { user } = await requireSession();
const root = /** @type {HTMLElement} */ (document.getElementById("main"));

async function main() {
  placeTopBar(topBar("Phone Number Lookup", [{ href: "/campaigns", label: "Campaigns" }]));
  if (!isSweeper(user)) return notFound(root, "This lookup");
  const body = h("div", { class: "lookup" });
  fill(root, h("h1", {}, "Phone Number Lookup"), body);
  message(body, "Loading…", "loading");
  let data;
  try {
    data = await get(`/api/conversations/${conversationId}/phone-lookup`);
  } catch (err) {
    if (err.status === 404 || err.status === 403) return notFound(root, "This conversation");
    return message(body, errorText(err), "error");
  }
  const rows = data.conversations.map((c) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", {
        href: `/campaigns/${c.campaign.id}/messenger/${slotKey(c.sender ? c.sender.id : null)}?conversation=${c.id}`,
      }, fullName(c.contact) || `Conversation ${c.id}`)),
      h("td", {}, c.campaign.title),
      h("td", {}, c.sender ? fullName(c.sender) : "Unassigned"),
      h("td", {}, statusText(c.status)),
      h("td", {}, c.last_message_at ? fmtTime(c.last_message_at) : "—"),
    ),
  );
  fill(
    body,
    h("p", { class: "lookup-phone" }, h("strong", {}, data.phone), data.opted_out ? " · opted out in this organization" : ""),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: "sr-only" }, `Conversations with ${data.phone}`),
        h("thead", {}, h("tr", {}, ["Contact", "Campaign", "Sender", "Status", "Last message"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
    data.truncated ? h("p", { class: "muted" }, "Only the most recent conversations are shown.") : null,
  );
  document.title = `${data.phone} · Phone Number Lookup · shiftline`;
  document.body.dataset.loaded = "true";
}

main();
