// "Someone else is typing here": the live-only `typing` frame and event.
//
// The composer tells the server, at most every THROTTLE_MS while someone
// types, which conversation they type in; the others who can see it (the
// campaign's sweepers, the conversation's sender) get a `typing` event and
// show a warning for SHOW_MS, so two people do not answer one contact at once.
import { fullName } from "./ui.js";

export const THROTTLE_MS = 2000;
export const SHOW_MS = 5000;

export class TypingWatch {
  /** @param {{ me: { id: number } }} o */
  constructor({ me }) {
    this.me = me;
    /** @type {{ sendFrame(frame: any): void } | null} */
    this.live = null;
    this.channel = "";
    this.lastSent = 0;
    this.lastId = /** @type {number | null} */ (null);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.el = document.createElement("p");
    this.el.className = "typing-warning";
    // Always in the page, empty when quiet, so screen readers announce the text when it comes.
    this.el.setAttribute("role", "status");
  }

  /** The live connection and the channel this page watches (campaign or own sender channel). */
  attach(live, channel) {
    this.live = live;
    this.channel = channel;
  }

  /** The person typed in conversation `id`: tell the others, throttled. */
  typed(id) {
    const now = Date.now();
    if (!this.live || (id === this.lastId && now - this.lastSent < THROTTLE_MS)) return;
    this.lastSent = now;
    this.lastId = id;
    this.live.sendFrame({ type: "typing", channel: this.channel, conversation_id: id });
  }

  /** A `typing` event: warn when someone else types in the open conversation `openId`. */
  onEvent(data, openId) {
    if (data.conversation_id !== openId || data.user_id === this.me.id) return;
    const name = fullName(data) || `User ${data.user_id}`;
    this.el.textContent = `${name} is also typing in this conversation`;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), SHOW_MS);
  }

  clear() {
    clearTimeout(this.timer);
    this.el.textContent = "";
  }
}
