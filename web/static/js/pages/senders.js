// A campaign's senders: add from the organization's users, remove (their
// conversations go back to Unassigned), and who is online, live.
import { api, get, items, post } from "../api.js";
import { followChannel } from "../boot.js";
import { confirmDialog } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, fill, fullName, h, notice, plural, reloader } from "../ui.js";

const cid = Number(location.pathname.split("/")[2]);
const { root, heading, token } = await organizerPage({ title: "Senders", cid });

const current = h("tbody", { id: "current-senders" });
const candidates = h("ul", { class: "target-list wide", id: "candidates", "aria-label": "Users who are not senders yet" });
const addButton = h("button", { type: "submit", class: "primary" }, "Add senders");
const addError = h("p", { class: "form-error", role: "alert", hidden: true });
const addForm = h(
  "form",
  { class: "card settings-form", id: "add-senders" },
  h("h2", {}, "Add senders"),
  candidates,
  addError,
  h("div", { class: "buttons start" }, addButton),
);

/** @type {{ senders: any[], users: any[], campaign: any }} */
const state = { senders: [], users: [], campaign: null };

function render() {
  const rows = state.senders;
  fill(
    current,
    rows.length
      ? rows.map((s) => {
          const name = fullName(s) || `Sender ${s.user_id}`;
          return h(
            "tr",
            { dataset: { sender: String(s.user_id) } },
            h("td", {}, h("span", { class: `dot ${s.online ? "dot-online" : "dot-offline"}`, role: "img", "aria-label": s.online ? "Online" : "Offline", title: s.online ? "Online" : "Offline" })),
            h("td", {}, name),
            h("td", {}, `${s.sent}/${s.assigned}`),
            h("td", { class: "col-actions" }, h("button", {
              type: "button", class: "danger", "aria-label": `Remove ${name}`,
              onclick: () => confirmDialog({
                title: `Remove ${name}?`,
                text: s.assigned
                  ? `${name}'s ${plural(s.assigned, "conversation")} go back to the Unassigned pool, where anyone can be given them.`
                  : `${name} has no conversations in this campaign.`,
                confirm: "Remove sender",
                danger: true,
                action: () => api("DELETE", `/api/campaigns/${cid}/senders/${s.user_id}`),
              }).then((r) => {
                if (r) {
                  notice(`${name} removed; ${plural(r.moved, "conversation")} moved to Unassigned.`, "ok");
                  reload();
                }
              }),
            }, "Remove")),
          );
        })
      : h("tr", {}, h("td", { colspan: 4 }, "No senders yet.")),
  );
  const taken = new Set(rows.map((s) => s.user_id));
  const open = state.users.filter((u) => u.active && !taken.has(u.id));
  // Keep what is ticked across live re-renders.
  const ticked = new Set([...candidates.querySelectorAll("input:checked")].map((el) => Number(/** @type {HTMLInputElement} */ (el).value)));
  fill(
    candidates,
    open.length
      ? open.map((u) => h("li", {},
          h("input", { type: "checkbox", id: `user-${u.id}`, value: String(u.id), checked: ticked.has(u.id) }),
          h("label", { for: `user-${u.id}` }, fullName(u)),
          h("span", { class: "muted" }, ` ${u.role}`)))
      : h("li", { class: "muted" }, "Every active user is a sender of this campaign."),
  );
  addButton.disabled = !open.length || (state.campaign && state.campaign.status === "closed");
}

const reload = reloader(async () => {
  const [campaign, overview, users] = await Promise.all([
    get(`/api/campaigns/${cid}`),
    get(`/api/campaigns/${cid}/overview`),
    get("/api/users"),
  ]);
  state.campaign = campaign;
  heading.textContent = `${campaign.title}: senders`;
  document.title = `${campaign.title} · Senders · shiftline`;
  state.senders = (overview.senders || []).filter((r) => r.user_id !== null);
  state.users = items(users, "users");
  render();
  document.body.dataset.loaded = "true";
}, (err) => notice(errorText(err), "error"));

addForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  addError.hidden = true;
  const ids = [...candidates.querySelectorAll("input:checked")].map((el) => Number(/** @type {HTMLInputElement} */ (el).value));
  if (!ids.length) {
    addError.textContent = "Tick at least one user to add.";
    addError.hidden = false;
    return;
  }
  addButton.disabled = true;
  try {
    const r = await post(`/api/campaigns/${cid}/senders`, { user_ids: ids });
    for (const el of candidates.querySelectorAll("input:checked")) /** @type {HTMLInputElement} */ (el).checked = false;
    notice(`${plural(r.added.length, "sender")} added.`, "ok");
    await reload();
  } catch (err) {
    addError.textContent = errorText(err);
    addError.hidden = false;
  } finally {
    addButton.disabled = false;
  }
});

async function main() {
  root.append(
    h("section", { class: "card", "aria-labelledby": "current-title" },
      h("h2", { id: "current-title" }, "Senders of this campaign"),
      h("div", { class: "table-wrap" }, h("table", { class: "table", id: "senders-table" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Online")),
          h("th", { scope: "col" }, "Sender"),
          h("th", { scope: "col" }, "Sent/assigned"),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
        current))),
    addForm,
  );
  // Presence and counts change live; a few events in a row cause one read.
  followChannel({
    channel: `campaign:${cid}`, token, reload, rereadCampaign: reload,
    onEvent: (kind) => {
      if (kind === "presence" || kind === "campaign" || kind === "reassigned") reload();
    },
    reloadAfter: () => false,
  });
  await reload();
}

main();
