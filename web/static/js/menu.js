// Menu buttons the same way everywhere: a button that opens a list of actions
// over the page (never cut off by a card or a table), worked by mouse or keyboard.
// Enter or Space (or an arrow key) opens it on its first item, the arrow keys
// move, Escape closes it and gives the focus back to the button; a click
// elsewhere closes it, and opening one closes any other.

import { fill, h } from "./ui.js";

/**
 * @typedef {object} MenuItem
 * @property {string} label
 * @property {(opener: HTMLButtonElement) => unknown} action called after the menu closed, with
 *   the menu's button: the control a dialog the action opens gives the focus back to
 * @property {boolean} [danger] shown as a destructive action
 */

/**
 * @typedef {object} Menu
 * @property {HTMLElement} el the button and its menu, to put in the page
 * @property {HTMLButtonElement} button
 * @property {HTMLUListElement} menu
 * @property {(items: MenuItem[]) => void} setItems
 * @property {() => void} close
 */

/** The one open menu, if any. @type {{ menu: HTMLElement, button: HTMLElement, close: () => void } | null} */
let open = null;

/**
 * @param {object} options
 * @param {string | Node} options.content what the button shows
 * @param {string} options.menuId the menu's id (the button's aria-controls)
 * @param {MenuItem[]} options.items
 * @param {string} [options.id] the button's id
 * @param {string} [options.label] the button's accessible name, when its content is not
 * @param {string} [options.menuLabel] the menu's accessible name (the button's by default)
 * @param {string} [options.className] more classes for the wrapper
 * @returns {Menu}
 */
export function menuButton({ content, menuId, items, id, label, menuLabel, className }) {
  const button = /** @type {HTMLButtonElement} */ (h(
    "button",
    { type: "button", class: "menu-button", id, "aria-haspopup": "menu", "aria-expanded": "false",
      "aria-controls": menuId, "aria-label": label },
    content,
  ));
  const menu = /** @type {HTMLUListElement} */ (h("ul", {
    class: "menu", role: "menu", id: menuId, hidden: true,
    "aria-label": menuLabel || label || (typeof content === "string" ? content : null),
  }));
  const entries = () => /** @type {HTMLButtonElement[]} */ ([...menu.querySelectorAll("button")]);

  const close = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (open && open.menu === menu) open = null;
  };
  /** @param {"first" | "last"} which */
  const show = (which) => {
    if (open) open.close();
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    open = { menu, button, close };
    placeMenu(menu, button);
    const all = entries();
    const item = which === "first" ? all[0] : all[all.length - 1];
    if (item) item.focus();
  };
  /** @type {MenuItem[]} */
  let shown = [];
  /** @param {MenuItem[]} list */
  const setItems = (list) => {
    const same = list.length === shown.length && list.every((item, i) => item.label === shown[i].label && !item.danger === !shown[i].danger);
    shown = list;
    // The same items keep their elements, so a live update never takes the focus from an open menu.
    if (same) return;
    fill(menu, list.map((item, i) => h("li", { role: "none" }, h("button", {
      type: "button", role: "menuitem", tabindex: "-1", class: item.danger ? "danger" : null,
      onclick: () => {
        close();
        shown[i].action(button);
      },
    }, item.label))));
  };
  setItems(items);

  button.addEventListener("click", () => (menu.hidden ? show("first") : close()));
  button.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
    ev.preventDefault();
    show(ev.key === "ArrowDown" ? "first" : "last");
  });
  menu.addEventListener("keydown", (ev) => {
    const all = entries();
    const i = all.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (ev.key === "Escape") {
      ev.preventDefault();
      close();
      button.focus();
    } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      all[(i + (ev.key === "ArrowDown" ? 1 : -1) + all.length) % all.length].focus();
    } else if (ev.key === "Home" || ev.key === "End") {
      ev.preventDefault();
      all[ev.key === "Home" ? 0 : all.length - 1].focus();
    }
  });
  const el = h("div", { class: ["menu-wrap", className].filter(Boolean).join(" ") }, button, menu);
  return { el, button, menu, setItems, close };
}

/**
 * Open a menu over the page rather than inside its card, which would cut it
 * off: below its button, or above it when the window has no room below, and
 * never past the window's edges (every item visible).
 * @param {HTMLElement} menu
 * @param {HTMLElement} button
 */
function placeMenu(menu, button) {
  const at = button.getBoundingClientRect();
  const height = menu.offsetHeight;
  const width = menu.offsetWidth;
  const gap = 4;
  const below = at.bottom + gap + height <= window.innerHeight;
  const top = below ? at.bottom + gap : Math.max(gap, at.top - gap - height);
  const left = Math.min(Math.max(gap, at.right - width), window.innerWidth - width - gap);
  menu.style.top = `${Math.round(top)}px`;
  menu.style.left = `${Math.round(left)}px`;
}

document.addEventListener("click", (ev) => {
  if (!open) return;
  const wrap = open.menu.parentElement;
  if (!(ev.target instanceof Node && wrap && wrap.contains(ev.target))) open.close();
});
// A menu placed over the page follows its button when the page scrolls or resizes;
// one whose button left the page (a re-rendered header) is closed.
const replaceOpenMenu = () => {
  if (!open) return;
  if (open.button.isConnected) placeMenu(open.menu, open.button);
  else open.close();
};
window.addEventListener("resize", replaceOpenMenu);
document.addEventListener("scroll", replaceOpenMenu, true);
