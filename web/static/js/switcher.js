// The Admin Messenger's sender switcher (seed 001): a search field, each
// sender's online status, progress and waiting replies, sorted as on the
// Conversations Overview, with Unassigned always first.

import { slotKey } from "./slots.js";
import { fill, fullName, h } from "./ui.js";

/** @param {{ user_id: number | null, first_name?: string, last_name?: string }} row */
export const rowLabel = (row) => (row.user_id === null ? "Unassigned" : fullName(row) || `Sender ${row.user_id}`);

const SORTS = [
  ["sender", "Sender"],
  ["progress", "Progress"],
  ["needs_reply", "Needs Reply"],
];

export class SenderSwitcher {
  /**
   * @param {object} o
   * @param {() => import("./slots.js").SenderRow[]} o.rows  the rows to list, in order
   * @param {() => string} o.current  the slot key viewed
   * @param {() => { key: string, order: string }} o.sort
   * @param {(key: string) => void} o.onSort
   * @param {(key: string) => void} o.onPick
   */
  constructor({ rows, current, sort, onSort, onPick }) {
    this.rows = rows;
    this.current = current;
    this.sort = sort;
    this.onSort = onSort;
    this.onPick = onPick;
    this.button = h("button", {
      type: "button", id: "viewing-as", class: "switcher-button",
      "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "switcher-panel",
    });
    this.search = h("input", { type: "search", id: "switcher-search", placeholder: "Search senders", autocomplete: "off" });
    this.sorts = h("div", { class: "switcher-sorts", role: "group", "aria-label": "Sort senders" });
    this.list = h("ul", { class: "switcher-list", "aria-label": "Senders" });
    this.panel = h(
      "div",
      { class: "switcher", id: "switcher-panel", role: "dialog", "aria-label": "Choose a sender", hidden: true },
      h("label", { for: this.search.id, class: "sr-only" }, "Search senders by name"),
      this.search,
      this.sorts,
      this.list,
    );
    this.el = h("span", { class: "switcher-wrap" }, this.button, this.panel);
    this.button.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close(false)));
    this.search.addEventListener("input", () => this.renderList());
    this.panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        this.close(true);
      }
    });
    document.addEventListener("click", (ev) => {
      // The path, not the target: the click that opened it may have re-drawn the target away.
      if (!this.panel.hidden && !ev.composedPath().includes(this.el)) this.close(false);
    });
  }

  open() {
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.render();
    this.search.focus();
  }

  close(refocus) {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }

  render() {
    const current = this.current();
    const row = this.rows().find((r) => slotKey(r.user_id) === current) || { user_id: null };
    this.button.dataset.sender = current;
    fill(
      this.button,
      row.user_id === null ? null : presence(/** @type {any} */ (row).online),
      h("span", { class: "switcher-name" }, rowLabel(row)),
      h("span", { "aria-hidden": "true" }, " ▾"),
    );
    const { key, order } = this.sort();
    fill(
      this.sorts,
      SORTS.map(([k, label]) =>
        h("button", {
          type: "button", class: "sort", "aria-pressed": String(k === key), onclick: () => this.onSort(k),
        }, label, h("span", { "aria-hidden": "true" }, k === key ? (order === "asc" ? " ▲" : " ▼") : "")),
      ),
    );
    this.renderList();
  }

  renderList() {
    const current = this.current();
    const rows = this.rows();
    fill(
      this.list,
      rows.map((r) =>
        h("li", {}, h("button", {
          type: "button", class: "switcher-row", "aria-current": slotKey(r.user_id) === current ? "true" : null,
          dataset: { sender: slotKey(r.user_id) },
          onclick: () => {
            this.close(true);
            this.onPick(slotKey(r.user_id));
          },
        },
        r.user_id === null ? h("span", { class: "presence presence-none" }) : presence(r.online),
        h("span", { class: "switcher-row-name" }, rowLabel(r)),
        h("span", { class: "switcher-row-meta" }, `${r.sent}/${r.assigned} · ${r.needs_reply} need reply`),
        )),
      ),
    );
    if (rows.every((r) => r.user_id === null) && this.search.value.trim()) {
      this.list.append(h("li", { class: "muted" }, `No senders match “${this.search.value.trim()}”.`));
    }
  }
}

/** A sender's online status: its own look, never the green dot of a waiting reply. */
function presence(online) {
  const label = online ? "Online" : "Offline";
  return h("span", { class: `presence ${online ? "presence-online" : "presence-offline"}`, role: "img", "aria-label": label, title: label });
}
