// The inbox composer's helpers: canned responses (fill the text area, never
// send), scheduling one text, applying a drip with a preview of its times,
// and the conversation's scheduled texts with Cancel.
import { api, get, items, post } from "./api.js";
import { showModal } from "./dialog.js";
import { icon } from "./icons.js";
import { errorText, fill, fmtTime, h, notice } from "./ui.js";

let seq = 0;

/**
 * A modal dialog titled `title` holding `body`; resolves when it closes.
 * @param {string} title
 * @param {HTMLElement} opener
 * @param {(dialog: HTMLDialogElement) => (HTMLElement | null)[]} body
 */
function modal(title, opener, body) {
  seq += 1;
  const id = `automation-${seq}`;
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "dialog", "aria-labelledby": id }));
  const close = h("button", { type: "button", onclick: () => dialog.close() }, "Close");
  dialog.append(h("div", { class: "confirm-form" }, h("h2", { id }, title), ...body(dialog), h("div", { class: "buttons" }, close)));
  document.body.append(dialog);
  showModal(dialog, opener);
}

/** @type {[number, string][]} */
const UNITS = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];

/**
 * When a step goes, read as a person would: "in 3 days (Tue 10:00)".
 * @param {number} seconds
 * @param {Date} from
 */
export function after(seconds, from) {
  const [size, name] = UNITS.find(([s]) => seconds >= s && seconds % s === 0) || UNITS[3];
  const n = seconds / size;
  const when = new Date(from.getTime() + seconds * 1000);
  return seconds === 0 ? "at once" : `in ${n} ${name}${n === 1 ? "" : "s"} (${fmtTime(when.toISOString())})`;
}

/**
 * Wire the helpers to the composer's text area.
 * @param {{ text: HTMLTextAreaElement, current: () => number | null, sent: () => void, attached?: () => number }} o
 *   `current` gives the open conversation's id; `sent` is called after a text was scheduled;
 *   `attached` counts the pictures attached to the next text.
 */
export function inboxAutomation({ text, current, sent, attached = () => 0 }) {
  const canned = h("button", { type: "button", class: "icon-button", "aria-label": "Insert a canned response", title: "Insert a canned response" }, "⇄");
  const drip = h("button", { type: "button", class: "icon-button", "aria-label": "Apply a drip", title: "Apply a drip" }, icon("drop"));
  const schedule = h("button", { type: "button", "aria-label": "Schedule", title: "Send this text later" }, "Schedule");
  const list = h("ul", { class: "scheduled-list", "aria-label": "Scheduled texts" });
  const panel = h("section", { class: "scheduled", hidden: true, "aria-label": "Scheduled" }, h("h3", {}, "Scheduled"), list);
  /** @type {any} */
  let conv = null;
  // Where the organization turned drips off, the button is not offered at all.
  let dripsOn = true;
  get("/api/organization").then((o) => {
    dripsOn = o.allow_drips !== false;
    drip.hidden = drip.hidden || !dripsOn;
  }, () => {});

  function fillText(body) {
    text.value = body;
    // The draft store listens for input: what was chosen survives a reload.
    text.dispatchEvent(new Event("input", { bubbles: true }));
    text.focus();
  }

  canned.addEventListener("click", async () => {
    let replies = [];
    try {
      replies = items(await get("/api/replies"), "replies");
    } catch (err) {
      notice(errorText(err), "error");
      return;
    }
    modal("Canned responses", canned, (dialog) => [
      replies.length
        ? h("ul", { class: "reply-picker" }, ...replies.map((r) => h("li", {},
          h("button", { type: "button", class: "conv-row", onclick: () => {
            // After the dialog's own close handling, which gives the focus back to its opener.
            dialog.addEventListener("close", () => fillText(r.body), { once: true });
            dialog.close();
          } },
            h("strong", {}, r.title), h("span", { class: "conv-meta" }, r.body)))))
        : h("p", { class: "muted" }, "No canned responses yet: add them on the Recommended replies page."),
    ]);
  });

  drip.addEventListener("click", async () => {
    const id = current();
    if (id === null) return;
    let drips = [];
    try {
      drips = items(await get("/api/drips"), "drips");
    } catch (err) {
      notice(errorText(err), "error");
      return;
    }
    modal("Apply a drip", drip, (dialog) => {
      if (!drips.length) return [h("p", { class: "muted" }, "No drips yet: make one on the Drips page.")];
      const pick = h("select", { id: `drip-pick-${seq}` }, ...drips.map((d) => h("option", { value: String(d.id) }, d.name)));
      const preview = h("ol", { class: "drip-preview", "aria-label": "Preview", "aria-live": "polite" });
      const show = () => {
        const d = drips.find((x) => String(x.id) === pick.value);
        const now = new Date();
        fill(preview, ...(d ? d.steps : []).map((s) => h("li", {}, h("span", { class: "conv-meta" }, after(s.after_seconds, now)), " ", s.body)));
      };
      pick.addEventListener("change", show);
      show();
      const apply = h("button", { type: "button", class: "primary" }, "Apply Campaign");
      apply.addEventListener("click", async () => {
        apply.disabled = true;
        try {
          const out = await post(`/api/conversations/${id}/drip`, { drip_id: Number(pick.value) });
          notice(`Drip applied: ${out.scheduled.length} texts scheduled.`, "ok");
          dialog.close();
          await refresh();
        } catch (err) {
          notice(errorText(err), "error");
          apply.disabled = false;
        }
      });
      return [h("div", { class: "field" }, h("label", { for: pick.id }, "Drip"), pick), preview, h("div", { class: "buttons start" }, apply)];
    });
  });

  schedule.addEventListener("click", () => {
    const id = current();
    if (id === null) return;
    // A scheduled text carries no media (the API refuses send_at with media_ids): say so rather than drop the picture.
    if (attached() > 0) {
      notice("A scheduled text cannot carry a picture: send it now, or remove the picture to schedule the text.", "error");
      return;
    }
    if (!text.value.trim()) {
      notice("Write the text first, then schedule it.", "error");
      text.focus();
      return;
    }
    modal("Schedule this text", schedule, (dialog) => {
      const at = h("input", { type: "datetime-local", id: `send-at-${seq}`, required: true });
      const soon = new Date(Date.now() + 3600 * 1000 - new Date().getTimezoneOffset() * 60000);
      at.value = soon.toISOString().slice(0, 16);
      const go = h("button", { type: "button", class: "primary" }, "Schedule text");
      go.addEventListener("click", async () => {
        const when = new Date(at.value);
        if (Number.isNaN(when.getTime())) return notice("Pick a date and time.", "error");
        go.disabled = true;
        try {
          await post(`/api/conversations/${id}/messages`, { body: text.value, send_at: when.toISOString() });
          // Only now is what the person typed safely stored: clear the box.
          fillText("");
          notice(`Scheduled for ${fmtTime(when.toISOString())}.`, "ok");
          dialog.close();
          sent();
          await refresh();
        } catch (err) {
          notice(errorText(err), "error");
          go.disabled = false;
        }
      });
      return [h("p", { class: "muted" }, text.value), h("div", { class: "field" }, h("label", { for: at.id }, "Send at"), at), h("div", { class: "buttons start" }, go)];
    });
  });

  async function refresh() {
    const id = current();
    const inbox = conv && conv.campaign_id == null;
    schedule.hidden = !inbox;
    drip.hidden = !inbox || !dripsOn;
    if (id === null || !inbox) {
      panel.hidden = true;
      return;
    }
    try {
      const rows = items(await get(`/api/conversations/${id}/scheduled`), "scheduled");
      if (id !== current()) return;
      panel.hidden = rows.length === 0;
      fill(list, ...rows.map((r) => h("li", { dataset: { id: String(r.id) } },
        h("span", {}, r.body),
        h("span", { class: "conv-meta" }, `${r.drip_step ? `Drip step ${r.drip_step} · ` : ""}${fmtTime(r.send_at)}`),
        h("button", {
          type: "button", "aria-label": `Cancel the text of ${fmtTime(r.send_at)}`,
          onclick: async () => {
            try {
              await api("DELETE", `/api/scheduled/${r.id}`);
              notice("Scheduled text cancelled.", "ok");
            } catch (err) {
              notice(errorText(err), "error");
            }
            await refresh();
          },
        }, "Cancel"))));
    } catch (err) {
      notice(errorText(err), "error");
    }
  }

  return {
    buttons: [canned, drip, schedule],
    panel,
    /** The open conversation changed (or was reread). */
    show(c) {
      conv = c;
      refresh();
    },
    refresh,
  };
}
