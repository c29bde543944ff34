// A sender's (or the Unassigned pool's) conversations: tabs, search, sorts, live dots.

import { get, items, query } from "./api.js";
import { slotKey } from "./slots.js";
import { debounce, errorText, fmtTime, fullName, h, fill } from "./ui.js";

export const TABS = [
  ["initial", "Initial Messages"],
  ["responses", "Responses"],
  ["follow_ups", "Follow-ups"],
  ["opt_outs", "Opt Outs"],
];
const SORTS = [
  ["needs_reply", "Needs reply first"],
  ["recent", "Most recent"],
  ["az", "A–Z"],
];
const SORTED_TABS = new Set(["responses", "opt_outs"]);
// An empty tab says what belongs there and what to do next.
const EMPTY = {
  initial: "No initial messages left to send. Replies will show under Responses.",
  responses: "No replies yet. When a contact answers, the conversation shows here.",
  follow_ups: "No follow-ups to send: texted contacts who never answered show here when the campaign has a follow-up message.",
  opt_outs: "Nobody has opted out.",
};
const STATUS_TEXT = {
  not_started: "Not started",
  needs_reply: "Needs reply",
  sent: "Sent",
  replied: "Replied",
  opted_out: "Opted out",
};
export const statusText = (s) => STATUS_TEXT[s] || s || "";

let uid = 0;

/** An empty or error message in place of the list's rows (a list item, so the list stays a list). */
function listMessage(list, text, kind = "empty") {
  fill(list, h("li", { class: `msg msg-${kind}` }, text));
}

export class ConversationList {
  /**
   * @param {object} o
   * @param {number} o.cid
   * @param {string|number} o.sender  user id, or "unassigned" (see slots.js)
   * @param {string} [o.tab]
   * @param {(row) => void} o.onSelect
   * @param {(tab: string, auto: boolean) => void} [o.onTab]
   */
  constructor({ cid, sender, tab = "responses", onSelect, onTab }) {
    uid += 1;
    this.cid = cid;
    this.sender = sender;
    this.tab = tab;
    this.sort = "needs_reply";
    this.search = "";
    this.onSelect = onSelect;
    this.onTab = onTab || (() => {});
    this.rows = [];
    this.rowsTab = null; // the tab `rows` were loaded for
    this.selected = null;
    this.cursor = null;
    this.loading = null;
    this.again = false;
    this.reloadSoon = debounce(() => this.reload(), 60);
    /** @type {Record<string, number> | null} */
    this.counts = null;
    this.initialShown = true;
    this.unseenReplies = false;

    this.tabButtons = TABS.map(([key, label]) =>
      h(
        "button",
        {
          type: "button", role: "tab", id: `tab-${key}-${uid}`, dataset: { tab: key },
          "aria-selected": String(key === tab), "aria-controls": `convlist-${uid}`,
          tabindex: key === tab ? "0" : "-1", onclick: () => this.setTab(key),
        },
        label,
        h("span", { class: "tab-count", dataset: { count: key } }),
        key === "responses" ? h("span", { class: "tab-badge", hidden: true }, "New") : null,
      ),
    );
    const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Conversation tabs" }, this.tabButtons);
    tablist.addEventListener("keydown", (ev) => {
      const shown = this.tabButtons.filter((b) => !b.hidden);
      const i = shown.findIndex((b) => b.dataset.tab === this.tab);
      let j = null;
      if (ev.key === "ArrowRight") j = (i + 1) % shown.length;
      if (ev.key === "ArrowLeft") j = (i - 1 + shown.length) % shown.length;
      if (j === null) return;
      ev.preventDefault();
      this.setTab(/** @type {string} */ (shown[j].dataset.tab));
      shown[j].focus();
    });
    this.searchBox = h("input", { type: "search", id: `csearch-${uid}`, placeholder: "Search contacts", autocomplete: "off" });
    this.searchBox.addEventListener("input", debounce(() => {
      this.search = this.searchBox.value.trim();
      this.reload();
    }, 200));
    this.sortSelect = h(
      "select",
      { id: `csort-${uid}` },
      SORTS.map(([v, label]) => h("option", { value: v }, label)),
    );
    this.sortSelect.addEventListener("change", () => {
      this.sort = this.sortSelect.value;
      this.reload();
    });
    this.sortField = h("span", { class: "sort-field" }, h("label", { for: this.sortSelect.id }, "Sort"), this.sortSelect);
    this.list = h("ul", { class: "conv-list", "aria-label": "Conversations of this tab" });
    this.panel = h("div", { class: "conv-list-panel", id: `convlist-${uid}`, role: "tabpanel", "aria-labelledby": `tab-${tab}-${uid}` }, this.list);
    // The list is one stop of Tab; the arrow keys (and Home, End) move between conversations.
    this.list.addEventListener("keydown", (ev) => {
      const rows = /** @type {HTMLElement[]} */ ([...this.list.querySelectorAll("button.conv-row")]);
      const i = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      if (i < 0) return;
      const j = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: rows.length - 1 }[ev.key];
      if (j === undefined) return;
      ev.preventDefault();
      const next = rows[Math.max(0, Math.min(rows.length - 1, j))];
      for (const r of rows) r.tabIndex = r === next ? 0 : -1;
      next.focus();
    });
    this.more = h("button", { type: "button", class: "link more", hidden: true, onclick: () => this.loadMore() }, "Load more");
    this.el = h(
      "section",
      { class: "conv-list-pane", "aria-label": "Conversations" },
      tablist,
      h(
        "div",
        { class: "list-tools" },
        h("label", { for: this.searchBox.id, class: "sr-only" }, "Search contacts by name"),
        this.searchBox,
        this.sortField,
      ),
      this.panel,
      this.more,
    );
    this.syncTools();
  }

  /** Show `tab`; `auto` when the page moved there by itself (the tab shown went away), not the user. */
  setTab(tab, auto = false) {
    if (tab === this.tab) return;
    this.tab = tab;
    if (tab === "responses") this.markReplies(false);
    for (const b of this.tabButtons) {
      const on = b.dataset.tab === tab;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    }
    this.panel.setAttribute("aria-labelledby", `tab-${tab}-${uid}`);
    this.syncTools();
    this.onTab(tab, auto);
    this.reload();
  }

  setSender(sender) {
    this.sender = sender;
    this.selected = null;
    this.reload();
  }

  syncTools() {
    this.sortField.hidden = !SORTED_TABS.has(this.tab);
  }

  params(cursor) {
    return query({
      sender: this.sender,
      tab: this.tab,
      search: this.search,
      sort: SORTED_TABS.has(this.tab) ? this.sort : null,
      limit: 50,
      cursor,
    });
  }

  /** A reply arrived while another tab is shown: a badge on Responses until it is opened. */
  markReplies(on) {
    this.unseenReplies = on && this.tab !== "responses";
    const badge = this.tabButtons.find((b) => b.dataset.tab === "responses")?.querySelector(".tab-badge");
    if (badge instanceof HTMLElement) badge.hidden = !this.unseenReplies;
  }

  /** Each tab's count, and the Initial Messages tab only while it has something to send (seed 001). */
  async loadCounts() {
    const data = await get(`/api/campaigns/${this.cid}/conversations/counts${query({ sender: this.sender })}`);
    this.counts = data.counts;
    for (const b of this.tabButtons) {
      const n = data.counts[/** @type {string} */ (b.dataset.tab)];
      const el = b.querySelector(".tab-count");
      if (el) el.textContent = n === undefined ? "" : ` ${n}`;
    }
    this.initialShown = !!data.initial_tab;
    const initial = this.tabButtons.find((b) => b.dataset.tab === "initial");
    if (initial) initial.hidden = !this.initialShown;
    if (!this.initialShown && this.tab === "initial") this.setTab("responses", true);
  }

  /** Load the list again; calls during a load coalesce into one more load after it. */
  async reload() {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          try {
            const tab = this.tab;
            const [data] = await Promise.all([
              get(`/api/campaigns/${this.cid}/conversations${this.params(null)}`),
              this.loadCounts(),
            ]);
            if (this.tab !== tab) {
              // The tab changed meanwhile (no Initial Messages left): load that one.
              this.again = true;
              continue;
            }
            this.rows = items(data, "conversations");
            this.rowsTab = tab; // rows of a tab left meanwhile are replaced by the next round
            this.cursor = (data && (data.next_cursor || data.cursor)) || null;
            this.render();
          } catch (err) {
            if (err.code !== "offline") listMessage(this.list, errorText(err), "error");
          }
        } while (this.again);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async loadMore() {
    if (!this.cursor) return;
    const data = await get(`/api/campaigns/${this.cid}/conversations${this.params(this.cursor)}`);
    this.rows = [...this.rows, ...items(data, "conversations")];
    this.cursor = (data && (data.next_cursor || data.cursor)) || null;
    this.render();
  }

  render() {
    this.more.hidden = !this.cursor;
    this.list.dataset.count = String(this.rows.length);
    if (!this.rows.length) {
      listMessage(this.list, this.search ? `No contacts match “${this.search}”. Check the spelling, or clear the search.` : EMPTY[this.tab] || "No conversations here.");
      return;
    }
    // Keep the keyboard focus on the same conversation across live refreshes.
    const active = document.activeElement;
    const focusedId = active && this.list.contains(active) ? active.closest("li")?.dataset.conversation : null;
    fill(this.list, ...this.rows.map((r) => this.rowEl(r)));
    const stop = (focusedId && this.list.querySelector(`li[data-conversation="${focusedId}"] button`))
      || this.list.querySelector("li.selected button")
      || this.list.querySelector("button.conv-row");
    if (stop instanceof HTMLElement) stop.tabIndex = 0;
    if (focusedId && stop instanceof HTMLElement) stop.focus();
  }

  rowEl(row) {
    const name = fullName(row.contact) || (row.contact && row.contact.phone) || `Conversation ${row.id}`;
    const green = row.needs_reply || row.status === "needs_reply";
    return h(
      "li",
      { dataset: { conversation: row.id }, class: row.id === this.selected ? "selected" : "" },
      h(
        "button",
        {
          type: "button", class: "conv-row", "aria-current": row.id === this.selected ? "true" : null, tabindex: "-1",
          onclick: () => this.select(row),
        },
        h("span", {
          class: `dot ${green ? "dot-reply" : "dot-none"}`,
          role: "img",
          "aria-label": green ? "Needs reply" : statusText(row.status),
        }),
        h("span", { class: "conv-name" }, name),
        h("span", { class: "conv-meta" }, statusText(row.status), row.last_message_at ? ` · ${fmtTime(row.last_message_at)}` : ""),
      ),
    );
  }

  select(row) {
    this.selected = row.id;
    for (const li of this.list.children) {
      const on = Number(/** @type {HTMLElement} */ (li).dataset.conversation) === row.id;
      li.classList.toggle("selected", on);
      const button = li.querySelector("button");
      if (button) {
        button.tabIndex = on ? 0 : -1;
        if (on) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    }
    return this.onSelect(row);
  }

  /** A live event: patch the row in place when we can, then reload for order and membership. */
  onEvent(kind, data) {
    const mine = (slot) => slotKey(slot) === slotKey(this.sender);
    if (kind === "conversation") {
      const known = this.rows.some((r) => r.id === data.id);
      if (!known && !mine(data.sender_id)) return; // another sender's conversation
      // A contact of this list is waiting for an answer: Responses gets its badge.
      if (mine(data.sender_id) && data.needs_reply) this.markReplies(true);
      const row = this.rows.find((r) => r.id === data.id);
      if (row) {
        row.status = data.status;
        row.needs_reply = data.needs_reply;
        row.last_message_at = data.last_message_at;
        this.render();
      }
      this.reloadSoon();
    } else if (kind === "reassigned") {
      if (mine(data.from) || mine(data.to)) this.reloadSoon();
    } else if (kind === "message") {
      if (this.rows.some((r) => r.id === data.conversation_id)) this.reloadSoon();
    }
  }
}
