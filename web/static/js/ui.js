// Small DOM helpers shared by every page.

import { logout, session } from "./api.js";

/** Build an element: h("a", {href: "/", class: "x", onclick: fn}, "text", child). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function fullName(p) {
  if (!p) return "";
  return [p.first_name, p.last_name].filter(Boolean).join(" ").trim();
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many || one + "s"}`;
}

/**
 * Run `load` now; calls made while it runs coalesce into one more run after
 * it, so the last snapshot always starts after the last change was seen.
 */
export function reloader(load, onError) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          try {
            await load();
            run.failed = false;
          } catch (err) {
            run.failed = true;
            if (onError) onError(err);
            else if (err && err.code !== "offline") console.error(err);
          }
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  run.busy = () => running !== null;
  run.failed = false; // the last load failed: take a new snapshot once connected again
  return run;
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/**
 * A short notice read out by screen readers; fades after a few seconds unless
 * `sticky` (then it has a Dismiss button). `extra` is shown under the text.
 * @param {string} message
 * @param {string} [kind]
 * @param {{ sticky?: boolean, extra?: any }} [o]
 */
export function notice(message, kind = "info", { sticky = false, extra = null } = {}) {
  let region = $("#notices");
  if (!region) {
    region = h("div", { id: "notices", class: "notices", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  const item = h("div", { class: `notice notice-${kind}` }, h("span", { class: "notice-text" }, message), extra);
  if (sticky) {
    item.append(h("button", { type: "button", class: "link notice-close", onclick: () => item.remove() }, "Dismiss"));
  } else {
    setTimeout(() => item.remove(), 6000);
  }
  region.append(item);
  return item;
}

/** Put the page's top bar in place: after the skip link, which stays the first stop of Tab. */
export function placeTopBar(bar) {
  const skip = $(".skip");
  if (skip) skip.after(bar);
  else document.body.prepend(bar);
}

/** The page's content says that what was asked for does not exist (or is not this user's to see). */
export function notFound(root, what = "This page") {
  document.title = "Not found · shiftline";
  fill(
    root,
    h("h1", {}, "Not found"),
    h("p", {}, `${what} does not exist, or it is not yours to see.`),
    h("p", {}, h("a", { href: "/campaigns" }, "Go to the campaigns")),
  );
  document.body.dataset.loaded = "true";
  document.body.dataset.notFound = "true";
}

/** The offline banner, driven by a Live connection's state. */
export function connectionBanner(live) {
  const banner = h(
    "div",
    { id: "offline-banner", class: "offline-banner", role: "alert", hidden: true },
    "Offline — reconnecting… Changes will appear when the connection is back.",
  );
  placeTopBar(banner);
  let timer = null;
  document.body.dataset.live = "connecting";
  const prev = live.onState;
  live.onState = (state) => {
    prev(state);
    document.body.dataset.live = state;
    clearTimeout(timer);
    if (state === "online") banner.hidden = true;
    // A short grace period: a quick reconnect should go unnoticed.
    else if (state === "offline") timer = setTimeout(() => (banner.hidden = false), 1000);
  };
  return banner;
}

/** The top bar: product name, where we are, who is logged in, log out. */
export function topBar(title, crumbs = []) {
  const s = session();
  const user = s && s.user;
  const bar = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "/campaigns" }, "shiftline"),
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      crumbs.map((c) => [h("a", { href: c.href }, c.label), h("span", { "aria-hidden": "true" }, " / ")]),
      h("span", { class: "crumb-current", "aria-current": "page" }, title),
    ),
    h(
      "div",
      { class: "who" },
      user ? h("span", { class: "who-name" }, `${fullName(user)} (${user.role})`) : null,
      h("button", { type: "button", class: "link", onclick: logout }, "Log out"),
    ),
  );
  return bar;
}

/** Set a page region to an error or empty message. */
export function message(el, text, kind = "empty") {
  el.replaceChildren(h("p", { class: `msg msg-${kind}` }, text));
}

export function errorText(err) {
  if (!err) return "Something went wrong.";
  return err.message || String(err);
}

/** Replace `el`'s children; like h(), skips null/false and flattens arrays. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
