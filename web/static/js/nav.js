// The organizer's way around: the organization's pages, and a campaign's.

import { isSweeper, requireSession } from "./api.js";
import { fill, h, topBar } from "./ui.js";

const ADMIN_ROLES = new Set(["owner", "admin"]);

/** @param {any} user */
export function isAdmin(user) {
  return !!user && ADMIN_ROLES.has(user.role);
}

/**
 * @param {string} href
 * @param {string} label
 * @param {string} here  the current page's address
 */
function link(href, label, here) {
  return h("a", { href, "aria-current": href === here ? "page" : null }, label);
}

/** The organization's pages a user may open (sweepers; users and settings for admins). */
export function siteNav(user, here = location.pathname) {
  if (!isSweeper(user)) return null;
  return h(
    "nav",
    { class: "site-nav", "aria-label": "Organization" },
    link("/campaigns", "Campaigns", here),
    link("/inbox", "Inbox", here),
    link("/replies", "Recommended replies", here),
    link("/drips", "Drips", here),
    isAdmin(user) ? link("/users", "Users", here) : null,
    isAdmin(user) ? link("/organization", "Organization settings", here) : null,
    isAdmin(user) ? link("/opt-outs", "Opt-outs", here) : null,
  );
}

/** A campaign's pages. */
export function campaignNav(cid, here = location.pathname) {
  return h(
    "nav",
    { class: "campaign-nav", "aria-label": "Campaign" },
    link(`/campaigns/${cid}`, "Overview", here),
    link(`/campaigns/${cid}/setup`, "Setup", here),
    link(`/campaigns/${cid}/contacts`, "Contacts", here),
    link(`/campaigns/${cid}/senders`, "Senders", here),
    link(`/campaigns/${cid}/replies`, "Replies", here),
  );
}

/**
 * Start an organizer's page: a logged-in sweeper (others go to their
 * campaign list), the top bar and the navigation; returns the page's parts.
 * @param {object} o
 * @param {string} o.title
 * @param {number} [o.cid]  a campaign's page: its navigation too
 * @param {boolean} [o.admins]  owners and admins only
 */
export async function organizerPage({ title, cid, admins = false }) {
  const { user, token } = await requireSession();
  if (!isSweeper(user) || (admins && !isAdmin(user))) {
    location.replace("/campaigns");
    // Like a missing session: the page stops quietly while the browser leaves.
    return await new Promise(() => {});
  }
  const crumbs = [{ href: "/campaigns", label: "Campaigns" }];
  document.body.prepend(topBar(title, cid ? crumbs : []));
  const root = /** @type {HTMLElement} */ (document.getElementById("main"));
  const heading = h("h1", { id: "page-title" }, title);
  fill(root, siteNav(user), heading, cid ? campaignNav(cid) : null);
  return { user, token, root, heading };
}
