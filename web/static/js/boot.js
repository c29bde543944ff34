// What every live page does the same way: connect, show the offline banner,
// subscribe to its channel with the resync logic, and keep the campaign's
// state (the `campaign` event, and a re-read after a reconnect) in step.

import { clearSession, get, toLogin } from "./api.js";
import { Live } from "./live.js";
import { connectionBanner, reloader } from "./ui.js";

// How long a page waits for its live subscription before it shows a snapshot anyway.
const FIRST_LOAD_WAIT_MS = 1500;

/**
 * @typedef {ReturnType<typeof reloader>} Reloader
 * @typedef {(kind: string, data: any, seq: number) => void} EventHandler
 */

/**
 * Follow `channel` live for the rest of the page's life.
 *
 * The snapshot (`reload`) is loaded when the subscription is first confirmed,
 * and again after `resync` (the history the page needs is gone) or after a
 * reconnect when the last load failed; a plain reconnect only re-reads the
 * campaign, since `since` brings every event missed. An event seen while a
 * snapshot loads causes one more load after it (unless `reloadAfter(kind)`
 * says the event needs none), so the page never settles on a snapshot older
 * than an event it saw. A close that calls for a new login goes to the login
 * page, which comes back here.
 *
 * @param {object} o
 * @param {string} o.channel
 * @param {string} o.token
 * @param {Reloader} o.reload  the page's snapshot load (ui.reloader)
 * @param {() => unknown} o.rereadCampaign
 * @param {EventHandler} o.onEvent
 * @param {(campaign: any) => void} [o.onCampaign]  a `campaign` event: the campaign as it is now
 * @param {(kind: string) => boolean} [o.reloadAfter]
 * @param {(live: Live) => void} [o.onSubscribed]  after every confirmed (re)subscription
 * @returns {Live}
 */
export function followChannel({ channel, token, reload, rereadCampaign, onEvent, onCampaign, reloadAfter = () => true, onSubscribed }) {
  const live = new Live({
    token: () => token,
    onAuthFailed: () => {
      clearSession();
      toLogin();
    },
  });
  connectionBanner(live);
  // The snapshot is loaded once, when the subscription is confirmed, so that
  // no event can fall between the two. Should the live connection be slow to
  // come up, the page shows a first snapshot anyway, and loads again then.
  let loaded = false;
  const early = setTimeout(() => {
    if (!loaded) reload();
  }, FIRST_LOAD_WAIT_MS);
  live.subscribe(channel, {
    onSubscribed: (_seq, resumed) => {
      clearTimeout(early);
      loaded = true;
      if (!resumed || reload.failed) reload();
      else rereadCampaign();
      onSubscribed?.(live);
    },
    onResync: () => reload(),
    onEvent: (kind, data, seq) => {
      if (seq === null) {
        onEvent(kind, data, seq); // live-only (viewing): no snapshot shows it
        return;
      }
      const loading = reload.busy();
      if (kind === "campaign" && onCampaign) onCampaign(data);
      onEvent(kind, data, seq);
      if (loading && reloadAfter(kind)) reload();
    },
  });
  live.start();
  return live;
}

/**
 * A page's campaign, kept by the `campaign` events (`apply`) and re-read
 * when no event can tell: after every reconnect (`reread`) and after a send
 * refused with 423 (`onLocked`: the server's reason at once, then the
 * campaign as it is now). A read that an event overtook is not shown.
 *
 * @param {number} cid
 * @param {{ apply(campaign: any): void, refuse(reason: string): void }} banners  campaign.CampaignBanners
 */
export function campaignRereader(cid, banners) {
  let events = 0;
  const reread = reloader(async () => {
    const seen = events;
    const campaign = await get(`/api/campaigns/${cid}`);
    if (events === seen) banners.apply(campaign);
  });
  /** @param {any} campaign */
  const apply = (campaign) => {
    events += 1;
    banners.apply(campaign);
  };
  /** @param {{ message: string }} err */
  const onLocked = (err) => {
    banners.refuse(err.message);
    reread();
  };
  return { reread, onLocked, apply };
}
