// The campaign list: sweepers open a campaign's overview or setup, senders their Messenger.
import { get, isSweeper, items, requireSession } from "../api.js";
import { isAdmin, siteNav } from "../nav.js";
import { errorText, h, message, placeTopBar, topBar, fill } from "../ui.js";

const STATE_LABEL = { draft: "Draft", active: "Active", paused: "Paused", closed: "Closed" };

async function main() {
  const { user } = await requireSession();
  const sweeper = isSweeper(user);
  const root = document.getElementById("main");
  placeTopBar(topBar("Campaigns"));
  const list = h("div", { class: "campaign-list" });
  const newButton = isAdmin(user)
    ? h("a", { class: "button primary", href: "/campaigns/new", role: "button" }, "New campaign")
    : null;
  fill(root, siteNav(user), h("div", { class: "page-head" }, h("h1", {}, sweeper ? "Campaigns" : "Your campaigns"), newButton), list);
  message(list, "Loading…", "loading");
  try {
    const campaigns = items(await get("/api/campaigns"), "campaigns");
    if (!campaigns.length) {
      message(list, sweeper ? "No campaigns yet." : "You have not been added to a campaign yet.");
      return;
    }
    const table = h(
      "table",
      { class: "table" },
      h("caption", { class: "sr-only" }, "Campaigns"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Campaign"),
          h("th", { scope: "col" }, "State"),
          sweeper ? h("th", { scope: "col" }, "Contacts") : null,
          sweeper ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Set up")) : null,
        ),
      ),
      h(
        "tbody",
        {},
        campaigns.map((c) =>
          h(
            "tr",
            { dataset: { campaignId: c.id } },
            h(
              "td",
              {},
              h("a", { href: sweeper ? `/campaigns/${c.id}` : `/send/${c.id}` }, c.title || `Campaign ${c.id}`),
            ),
            h("td", {}, h("span", { class: `state state-${c.status}` }, STATE_LABEL[c.status] || c.status)),
            sweeper ? h("td", { class: "num" }, String(c.contact_count ?? 0)) : null,
            sweeper
              ? h("td", {}, h("a", { href: `/campaigns/${c.id}/setup`, "aria-label": `Set up ${c.title}` }, "Set up"))
              : null,
          ),
        ),
      ),
    );
    fill(list, h("div", { class: "table-wrap" }, table));
  } catch (err) {
    message(list, errorText(err), "error");
  }
}

main();
