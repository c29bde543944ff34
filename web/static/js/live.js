// The live connection to /ws: channels with their last seq, quiet reconnects
// with backoff, resuming every channel with `since` so no event is missed.

import { closeAction } from "./config.js";

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const MAX_BACKOFF_MS = 10000;
const PING_EVERY_MS = 20000;
const PONG_TIMEOUT_MS = 10000;

export class Live {
  /**
   * @param {object} opts
   * @param {() => string|null} opts.token  the bearer token, read at each connect
   * @param {(state: "connecting"|"online"|"offline") => void} [opts.onState]
   * @param {() => void} [opts.onAuthFailed]  the server said to log in again (config.js)
   * @param {string} [opts.url]  the endpoint, `/ws` of this site unless given
   */
  constructor({ token, onState, onAuthFailed, url }) {
    this.token = token;
    this.url = url || `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
    this.onState = onState || (() => {});
    this.onAuthFailed = onAuthFailed || (() => {});
    this.channels = new Map();
    this.ws = null;
    this.attempt = 0;
    this.state = "connecting";
    this.stopped = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.pongTimer = undefined;
    this._wake = () => this.reconnectNow();
  }

  /**
   * Follow `channel`. handlers.onSubscribed(seq, resumed) is called when the
   * server confirms (resumed is false the first time: load the snapshot then);
   * handlers.onEvent(kind, data, seq) for each event, in order, once;
   * handlers.onResync() when history is gone and the snapshot must be reloaded.
   */
  subscribe(channel, handlers) {
    const entry = { channel, lastSeq: null, confirmed: false, handlers };
    this.channels.set(channel, entry);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this._sendSubscribe(entry);
    return () => this.unsubscribe(channel);
  }

  /** Send a live-only frame (such as "viewing") when connected; dropped otherwise. */
  sendFrame(frame) {
    this._send(frame);
  }

  unsubscribe(channel) {
    if (!this.channels.delete(channel)) return;
    this._send({ type: "unsubscribe", channel });
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this._wake);
    document.addEventListener("visibilitychange", this._wake);
    this._connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this._wake);
    document.removeEventListener("visibilitychange", this._wake);
    clearTimeout(this.retryTimer);
    this._stopHeartbeat();
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** Skip the rest of the backoff (the network came back, the tab was shown). */
  reconnectNow() {
    if (this.stopped || document.visibilityState === "hidden") return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.retryTimer);
    this._connect();
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  _connect() {
    const token = this.token();
    if (!token) {
      this.onAuthFailed();
      return;
    }
    const url = `${this.url}?token=${encodeURIComponent(token)}`;
    let ws;
    try {
      ws = new WebSocket(url, ["json"]);
    } catch {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this._setState("online");
      for (const entry of this.channels.values()) this._sendSubscribe(entry);
      this._startHeartbeat();
    };
    ws.onmessage = (msg) => {
      if (this.ws !== ws) return;
      this._alive();
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        return;
      }
      this._frame(frame);
    };
    ws.onclose = (ev) => this._lost(ws, ev.code);
  }

  /** The connection `ws` is gone (closed, or silent too long): retry quietly. */
  _lost(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    this._stopHeartbeat();
    for (const entry of this.channels.values()) entry.confirmed = false;
    if (this.stopped) return;
    this._setState("offline");
    // Retrying with the same token cannot help after these: the server's table says which.
    if (closeAction(code) === "login") {
      this.onAuthFailed();
      return;
    }
    this._scheduleRetry();
  }

  _scheduleRetry() {
    if (this.stopped) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] || MAX_BACKOFF_MS;
    const delay = Math.min(MAX_BACKOFF_MS, base) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), delay);
  }

  _send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  _sendSubscribe(entry) {
    this._send({ type: "subscribe", channel: entry.channel, since: entry.lastSeq });
  }

  _frame(frame) {
    const entry = frame.channel ? this.channels.get(frame.channel) : null;
    switch (frame.type) {
      case "subscribed": {
        if (!entry) return;
        const resumed = entry.lastSeq !== null;
        entry.confirmed = true;
        if (!resumed && typeof frame.seq === "number") entry.lastSeq = frame.seq;
        entry.handlers.onSubscribed?.(frame.seq, resumed);
        return;
      }
      case "event": {
        if (!entry) return;
        if (frame.seq === null || frame.seq === undefined) {
          // A live-only event (who views what): not in the log, outside the sequence.
          entry.handlers.onEvent?.(frame.kind, frame.data || {}, null);
          return;
        }
        if (entry.lastSeq !== null && frame.seq <= entry.lastSeq) return; // seen already
        const gap = entry.lastSeq !== null && frame.seq > entry.lastSeq + 1;
        entry.lastSeq = frame.seq;
        if (gap) {
          // Never expected (the server replays from `since`), but a snapshot
          // is the only safe answer to a hole in the sequence.
          entry.handlers.onResync?.();
          return;
        }
        entry.handlers.onEvent?.(frame.kind, frame.data || {}, frame.seq);
        return;
      }
      case "resync": {
        if (!entry) return;
        entry.lastSeq = typeof frame.seq === "number" ? frame.seq : null;
        entry.handlers.onResync?.();
        return;
      }
      case "error": {
        if (entry) {
          entry.handlers.onError?.(frame);
          // The server could not reach its broker for a moment: ask again.
          if (frame.code === "unavailable" && !entry.confirmed) {
            setTimeout(() => this.channels.get(entry.channel) === entry && this._sendSubscribe(entry), 2000);
          }
        }
        console.warn("live:", frame.code || "", frame.message || frame);
        return;
      }
      default:
        return; // pong and anything newer
    }
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    this.pingTimer = setInterval(() => {
      this._send({ type: "ping" });
      clearTimeout(this.pongTimer);
      // No answer at all: the connection is dead without having said so.
      this.pongTimer = setTimeout(() => {
        const ws = this.ws;
        if (!ws) return;
        this._lost(ws, 1006);
        ws.close();
      }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  _alive() {
    clearTimeout(this.pongTimer);
  }

  _stopHeartbeat() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
