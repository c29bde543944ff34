// What a campaign's state means for the people working it.

import { fill, h } from "./ui.js";

function windowOf(campaign) {
  const w = campaign && (campaign.sending_window || null);
  if (!w) return null;
  const start = w.start ? new Date(w.start) : null;
  const end = w.end ? new Date(w.end) : null;
  return { start, end };
}

/** True when the campaign's initial-message sending window has ended. */
export function windowPassed(campaign, now = new Date()) {
  const w = windowOf(campaign);
  return !!(w && w.end && w.end < now);
}

export function windowNotOpen(campaign, now = new Date()) {
  const w = windowOf(campaign);
  return !!(w && w.start && w.start > now);
}

/** Whether initial messages can go out right now, and if not, why. */
export function canSendInitial(campaign) {
  if (!campaign) return { ok: false, why: "Loading…" };
  if (campaign.status !== "active") return { ok: false, why: stateText(campaign.status) };
  if (windowPassed(campaign)) return { ok: false, why: "Initial message sending window has passed" };
  if (windowNotOpen(campaign)) {
    const opens = /** @type {Date} */ (windowOf(campaign)?.start);
    return { ok: false, why: `Initial message sending window opens ${opens.toLocaleString()}` };
  }
  return { ok: true, why: "" };
}

// A paused campaign refuses sends exactly like a closed one, with the same
// words (persistence/rules/campaign.py): one banner, never "paused" and
// "closed" at once.
export function stateText(status) {
  return (
    {
      closed: "Campaign is currently closed",
      paused: "Campaign is currently closed",
      draft: "Campaign has not been launched yet",
    }[status] || ""
  );
}

/** Whether replies and follow-ups can go out right now, and if not, why. */
export function canSend(campaign) {
  if (!campaign) return { ok: false, why: "Loading…" };
  if (campaign.status !== "active") return { ok: false, why: stateText(campaign.status) };
  return { ok: true, why: "" };
}

// setTimeout fires at once for delays past 2^31-1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Call `fn` once when the campaign's sending window next opens or ends, so
 * the page's banners and Send buttons change on time without a reload.
 * Returns a function that cancels it.
 */
export function atWindowChange(campaign, fn, now = Date.now()) {
  const w = windowOf(campaign);
  const next = w && [w.start, w.end].find((t) => t && t.getTime() > now);
  if (!next) return () => {};
  // A little after the edge, so the browser's clock agrees the window changed.
  const delay = next.getTime() - now + 250;
  if (delay > MAX_TIMER_MS) return () => {};
  const timer = setTimeout(fn, delay);
  return () => clearTimeout(timer);
}

/** Banners for the campaign's state (none while it is active and in its window). */
export function campaignBanner(campaign) {
  const out = [];
  const text = stateText(campaign && campaign.status);
  if (text) out.push(h("p", { class: `banner banner-${campaign.status}`, role: "status" }, text));
  if (windowPassed(campaign)) {
    out.push(h("p", { class: "banner banner-window", role: "status" }, "Initial message sending window has passed"));
  }
  return out;
}

/**
 * The banners to show: the campaign's state, and the server's reason for the
 * last refused send (423) when the campaign as last read does not explain it
 * (the page has not re-read it yet, or the server's clock disagrees).
 */
export function banners(campaign, refusal) {
  const out = campaignBanner(campaign);
  if (refusal && !out.some((b) => b.textContent === refusal)) {
    out.push(h("p", { class: "banner banner-refused", role: "status" }, refusal));
  }
  return out;
}

/**
 * A page's campaign banners (`el`), kept in step with the campaign: its state,
 * its sending window, re-applied when the window opens or ends, and the reason
 * for the last refused send. `show(campaign)` updates the rest of the page each
 * time a campaign is applied; `onWindowChange()` runs after it at the window's
 * edges.
 */
export class CampaignBanners {
  /** @param {{ show?: (campaign: any) => void, onWindowChange?: () => void }} [o] */
  constructor({ show = () => {}, onWindowChange = () => {} } = {}) {
    this.el = h("div", { class: "banners" });
    this.show = show;
    this.onWindowChange = onWindowChange;
    this.campaign = null;
    // The server's reason for the last send refused with 423, until the campaign explains it.
    this.refusal = null;
    this.cancelWindowTimer = () => {};
  }

  apply(campaign) {
    this.campaign = campaign;
    this.cancelWindowTimer();
    this.cancelWindowTimer = atWindowChange(campaign, () => {
      this.apply(this.campaign);
      this.onWindowChange();
    });
    // The campaign's own state now says why sending stops: no need to repeat the refusal.
    if (campaignBanner(campaign).length) this.refusal = null;
    this.render();
    this.show(campaign);
  }

  /** A send refused with 423: the server's reason at once, before the campaign is re-read. */
  refuse(reason) {
    this.refusal = reason;
    this.render();
  }

  /** A send went through: the last refusal no longer holds. */
  sent() {
    if (!this.refusal) return;
    this.refusal = null;
    this.render();
  }

  render() {
    fill(this.el, ...banners(this.campaign, this.refusal));
  }
}

/** The initial message as the contact will get it (the server fills it the same way). */
export function fillTemplate(template, sender, contact) {
  return (template || "")
    .replaceAll("%SenderFirstName%", (sender && sender.first_name) || "")
    .replaceAll("%SenderLastName%", (sender && sender.last_name) || "")
    .replaceAll("%ContactFirstName%", (contact && contact.first_name) || "");
}
