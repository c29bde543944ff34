// Shift control on the pages: waits that tick, broadcasts and their "Got it",
// moving waiting replies from offline senders, "Done for today", and who else
// is sweeping which sender (the live-only `viewing` events).

import { get, post } from "./api.js";
import { confirmDialog, showModal } from "./dialog.js";
import { errorText, fill, fullName, h, notice } from "./ui.js";

/** "4m 05s", "1h 02m" or "—": how long ago `iso` was. */
export function ago(iso, now = Date.now()) {
  if (!iso) return "—";
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** Minutes since `iso` (0 when null). */
export const minutesSince = (iso, now = Date.now()) => (iso ? (now - Date.parse(iso)) / 60000 : 0);

// One timer for every ticking age on a page: elements carry data-since.
const ticking = new Set();
setInterval(() => {
  for (const tick of ticking) tick();
}, 1000);

/** Keep `el` showing the time since `iso()`, marked late past `alert()` minutes. */
export function tickAge(el, iso, alert = () => Infinity) {
  // Held for the page's life: one per element, and pages build one per row.
  const tick = () => {
    const at = iso();
    el.textContent = ago(at);
    el.classList.toggle("wait-late", !!at && minutesSince(at) >= alert());
  };
  ticking.add(tick);
  tick();
  return tick;
}

// ---- broadcasts ---------------------------------------------------------

/** The overview's composer and the list of broadcasts with who acknowledged them. */
export function broadcastPanel(cid) {
  const list = h("ul", { class: "broadcasts", id: "broadcasts", "aria-label": "Broadcasts" });
  const body = h("textarea", { id: "broadcast-body", rows: 2, maxlength: 1000 });
  const send = h("button", { type: "submit", class: "primary" }, "Send broadcast");
  /** @type {Map<number, any>} */
  const byId = new Map();
  const render = () =>
    fill(list, [...byId.values()].sort((a, b) => b.id - a.id).map((b) =>
      h("li", { dataset: { broadcast: String(b.id) } },
        h("p", { class: "broadcast-body" }, b.body),
        h("p", { class: "broadcast-acks" },
          b.acknowledged_by.length
            ? `Acknowledged by: ${b.acknowledged_by.map((a) => fullName(a) || `User ${a.user_id}`).join(", ")}`
            : "Nobody has acknowledged yet."),
      )));
  const form = h("form", { class: "broadcast-form", onsubmit: async (ev) => {
    ev.preventDefault();
    send.disabled = true;
    try {
      const made = await post(`/api/campaigns/${cid}/broadcasts`, { body: body.value });
      byId.set(made.id, made);
      body.value = "";
      render();
    } catch (err) {
      notice(errorText(err), "error");
    } finally {
      send.disabled = false;
    }
  } }, h("label", { for: "broadcast-body" }, "Broadcast to senders"), body, send);
  let names = new Map();
  return {
    el: h("section", { class: "shift-broadcasts", "aria-label": "Broadcasts to senders" }, form, list),
    async load(senderNames) {
      names = senderNames;
      const data = await get(`/api/campaigns/${cid}/broadcasts`);
      byId.clear();
      for (const b of data.broadcasts) byId.set(b.id, b);
      render();
    },
    onEvent(kind, data) {
      if (kind === "broadcast" && !byId.has(data.id)) {
        byId.set(data.id, { ...data, acknowledged_by: [] });
        render();
      } else if (kind === "broadcast_ack") {
        const b = byId.get(data.id);
        if (!b || b.acknowledged_by.some((a) => a.user_id === data.user_id)) return;
        const person = names.get(data.user_id) || {};
        b.acknowledged_by.push({ user_id: data.user_id, first_name: person.first_name, last_name: person.last_name });
        render();
      }
    },
  };
}

/** The sender's banner: broadcasts not acknowledged yet, each with "Got it". */
export function broadcastBanner(cid) {
  const el = h("section", { class: "broadcast-banner", id: "broadcast-banner", role: "region", "aria-label": "Messages from your organizers", hidden: true });
  /** @type {Map<number, any>} */
  const open = new Map();
  const render = () => {
    el.hidden = open.size === 0;
    fill(el, [...open.values()].map((b) =>
      h("div", { class: "broadcast", role: "status", dataset: { broadcast: String(b.id) } },
        h("p", {}, h("strong", {}, `${fullName(b.from) || "Organizer"}: `), b.body),
        h("button", { type: "button", onclick: async () => {
          try {
            await post(`/api/campaigns/${cid}/broadcasts/${b.id}/ack`);
            open.delete(b.id);
            render();
          } catch (err) {
            notice(errorText(err), "error");
          }
        } }, "Got it"),
      )));
  };
  return {
    el,
    async load() {
      const data = await get(`/api/campaigns/${cid}/broadcasts`);
      for (const b of data.broadcasts) if (!b.acknowledged_by.length) open.set(b.id, b);
      render();
    },
    onEvent(kind, data) {
      if (kind !== "broadcast") return;
      open.set(data.id, data);
      render();
    },
  };
}

// ---- moving work --------------------------------------------------------

/** "Move waiting replies from offline senders": a preview, then the move. */
export async function openRebalance(cid, names, opener) {
  const url = `/api/campaigns/${cid}/rebalance`;
  const body = { from: "offline", status: "needs_reply" };
  let preview;
  try {
    preview = await post(url, { ...body, dry_run: true });
  } catch (err) {
    notice(errorText(err), "error");
    return;
  }
  const name = (id) => {
    const p = names.get(id);
    return p ? fullName(p) : `Sender ${id}`;
  };
  const move = h("button", { type: "button", class: "primary", disabled: preview.moved === 0 }, "Move replies");
  const cancel = h("button", { type: "button" }, "Cancel");
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "dialog", "aria-labelledby": "rebalance-title" },
    h("h2", { id: "rebalance-title" }, "Move waiting replies from offline senders"),
    preview.moved === 0
      ? h("p", {}, "No offline sender has a reply waiting.")
      : h("ul", { class: "rebalance-moves", id: "rebalance-moves" },
        preview.moves.map((m) => h("li", {}, `${name(m.from)} → ${name(m.to)}: ${m.count}`))),
    h("div", { class: "buttons" }, cancel, move)));
  document.body.append(dialog);
  cancel.addEventListener("click", () => dialog.close());
  move.addEventListener("click", async () => {
    move.disabled = true;
    try {
      const done = await post(url, body);
      notice(`Moved ${done.moved} waiting ${done.moved === 1 ? "reply" : "replies"}.`, "success");
      dialog.close();
    } catch (err) {
      notice(errorText(err), "error");
      move.disabled = false;
    }
  });
  showModal(dialog, opener);
  cancel.focus();
}

/** The sender's "Done for today": confirmed, then their open work goes back to the pool. */
export function doneForTodayButton(cid, after) {
  const button = h("button", { type: "button", id: "done-for-today" }, "Done for today");
  button.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Done for today?",
      text: "Your waiting replies and the contacts you have not texted yet go back to the organizers.",
      confirm: "Done for today",
      opener: button,
    });
    if (!ok) return;
    try {
      const done = await post(`/api/campaigns/${cid}/release`);
      notice(`Gave back ${done.moved} ${done.moved === 1 ? "conversation" : "conversations"}. Thank you!`, "success");
      after();
    } catch (err) {
      notice(errorText(err), "error");
    }
  });
  return button;
}

// ---- who else is sweeping -------------------------------------------------

/**
 * Tell the campaign's other sweepers which sender this page views, and keep
 * who else views what. `sender()` is the slot viewed (a user id or null).
 */
export function viewers({ cid, me, sender, onChange }) {
  const channel = `campaign:${cid}`;
  /** @type {Map<number, number | null>} */
  const others = new Map(); // user id -> sender id they view
  let live = null;
  const announce = () => live && live.sendFrame({ type: "viewing", channel, sender_id: sender() });
  return {
    channel,
    /** @param {{ sendFrame(frame: any): void }} l */
    attach(l) {
      live = l;
    },
    announce,
    onEvent(kind, data) {
      if (kind !== "viewing" || data.user_id === me) return;
      // A sweeper not known yet (a page just opened) has not heard from this
      // page: say it again. Viewing no sender forgets them, so their next page
      // is a newcomer too; a repeat of a known state is never answered (no loop).
      const newcomer = !others.has(data.user_id);
      if (data.sender_id === null) others.delete(data.user_id);
      else others.set(data.user_id, data.sender_id);
      onChange(others);
      if (newcomer) announce();
    },
  };
}

/** "Maya Admin is viewing", for the sweepers in `others` viewing `senderId`. */
export function viewingText(others, senderId, names) {
  const who = [...others.entries()].filter(([, s]) => s === senderId).map(([u]) => {
    const p = names.get(u);
    return p ? fullName(p) : `User ${u}`;
  });
  if (!who.length) return "";
  return `${who.join(", ")} ${who.length === 1 ? "is" : "are"} viewing`;
}
