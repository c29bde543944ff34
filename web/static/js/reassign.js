// The Bulk Reassign dialog, for the whole campaign or one row of the table.

import { post } from "./api.js";
import { showModal } from "./dialog.js";
import { UNASSIGNED } from "./slots.js";
import { errorText, fullName, h, notice, plural } from "./ui.js";

const ACTIONS = [
  ["unassign_all", "Unassign All"],
  ["reassign_some", "Reassign Some"],
  ["reassign_all", "Reassign All"],
];
const STATUSES = [
  ["any", "Any"],
  ["needs_reply", "Needs Reply"],
  ["not_started", "Not Started"],
];
let seq = 0;

function radios(name, options, value) {
  return options.map(([v, label]) => {
    const id = `${name}-${v}-${seq}`;
    return h(
      "div",
      { class: "radio" },
      h("input", { type: "radio", id, name, value: v, checked: v === value }),
      h("label", { for: id }, label),
    );
  });
}

/**
 * "Moved 6 conversations. 2 to Sam Sender, 2 to Rita Runner, 2 to Unassigned."
 * @param {{ moved?: number, per_target?: Record<string, number> }} result
 * @param {{ user_id: number | null }[]} senders
 */
export function movedText(result, senders) {
  const names = new Map(senders.map((s) => [String(s.user_id), fullName(s) || `Sender ${s.user_id}`]));
  const parts = Object.entries(result.per_target || {})
    .filter(([, n]) => n > 0)
    .map(([key, n]) => `${n} to ${key === UNASSIGNED ? "Unassigned" : names.get(key) || `sender ${key}`}`);
  const moved = `Moved ${plural(result.moved ?? 0, "conversation")}.`;
  return parts.length ? `${moved} ${parts.join(", ")}.` : moved;
}

/**
 * Open the dialog. `from`: undefined for campaign-wide, null for the
 * Unassigned pool, or [user_id]. `senders`: the campaign's senders (rows of
 * the overview); `held`: how many conversations the source holds (for the
 * Unassign All confirmation); `opener`: the control that opened it, which
 * gets the focus back. Resolves with the API's answer, or null when cancelled.
 */
export function openReassign({ cid, senders, from, fromLabel, action = "reassign_some", held = /** @type {number | null} */ (null), opener = /** @type {HTMLElement | null} */ (null) }) {
  seq += 1;
  // Unassigning the Unassigned pool would move nothing: not offered.
  const actions = from === null ? ACTIONS.filter(([a]) => a !== "unassign_all") : ACTIONS;
  if (from === null && action === "unassign_all") action = "reassign_all";
  const source =
    from === undefined
      ? "every sender and the Unassigned pool"
      : from === null
        ? "the Unassigned pool"
        : fromLabel || "this sender";
  const excluded = new Set(Array.isArray(from) ? from : []);
  const targets = senders.filter((s) => s.user_id !== null && !excluded.has(s.user_id));
  const title =
    from === undefined ? "Bulk Reassign" : `Reassign conversations of ${fromLabel || "this sender"}`;

  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const confirmText = h("p", { class: "confirm", role: "alert", hidden: true });
  const count = h("input", { type: "number", id: `count-${seq}`, name: "count", min: 1, step: 1, value: 10 });
  const countRow = h("div", { class: "field" }, h("label", { for: count.id }, "How many"), count);
  const search = h("input", { type: "search", id: `tsearch-${seq}`, placeholder: "Search senders" });
  const selectAll = h("input", { type: "checkbox", id: `tall-${seq}` });
  const boxes = targets.map((s) => {
    const id = `t-${seq}-${s.user_id}`;
    return h(
      "li",
      { dataset: { name: `${fullName(s)}`.toLocaleLowerCase() } },
      h("input", { type: "checkbox", id, value: s.user_id, class: "target" }),
      h("label", { for: id }, fullName(s) || `Sender ${s.user_id}`),
    );
  });
  const targetList = h("ul", { class: "target-list", "aria-label": "Senders to move to" }, boxes);
  const pick = h(
    "div",
    { class: "target-pick" },
    h("label", { for: search.id, class: "sr-only" }, "Search senders"),
    search,
    h("div", { class: "checkbox" }, selectAll, h("label", { for: selectAll.id }, "Select All")),
    targets.length ? targetList : h("p", { class: "muted" }, "No other senders in this campaign."),
  );
  const toMode = h(
    "fieldset",
    { class: "to-mode" },
    h("legend", {}, "Move to"),
    radios(`to-${seq}`, [
      ["some", "The senders selected below"],
      ["all_senders", "Distribute to all senders"],
      [UNASSIGNED, "Unassigned"],
    ], "some"),
    pick,
  );
  const statusSet = h("fieldset", {}, h("legend", {}, "Conversations with status"), radios(`status-${seq}`, STATUSES, "any"));
  const submit = h("button", { type: "submit", class: "primary" }, "Reassign");
  const cancel = h("button", { type: "button", value: "cancel" }, "Cancel");
  const form = h(
    "form",
    { method: "dialog", class: "reassign-form" },
    h("h2", { id: `rtitle-${seq}` }, title),
    h("p", { class: "reassign-from" }, "From: ", h("strong", {}, source)),
    h("fieldset", {}, h("legend", {}, "Action"), radios(`action-${seq}`, actions, action)),
    statusSet,
    countRow,
    toMode,
    confirmText,
    error,
    h("div", { class: "buttons" }, cancel, submit),
  );
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": `rtitle-${seq}` }, form);
  document.body.append(dialog);

  const value = (name) => form.querySelector(`input[name="${name}-${seq}"]:checked`)?.value;
  let confirming = false;
  const sync = () => {
    const act = value("action");
    const unassign = act === "unassign_all";
    statusSet.hidden = unassign;
    toMode.hidden = unassign;
    countRow.hidden = act !== "reassign_some";
    pick.hidden = value("to") !== "some";
    confirming = false;
    confirmText.hidden = true;
    submit.textContent = unassign ? "Unassign All" : "Reassign";
    // Unassign All moves everything at once: it looks like the dangerous action it is.
    submit.className = unassign ? "danger-solid" : "primary";
  };
  form.addEventListener("change", (ev) => {
    if (ev.target.classList.contains("target")) {
      const all = form.querySelectorAll("input.target");
      selectAll.checked = [...all].every((b) => b.checked);
      return;
    }
    if (ev.target === selectAll) return;
    sync();
  });
  selectAll.addEventListener("change", () => {
    for (const li of boxes) if (!li.hidden) li.querySelector("input").checked = selectAll.checked;
  });
  search.addEventListener("input", () => {
    const q = search.value.trim().toLocaleLowerCase();
    for (const li of boxes) li.hidden = q !== "" && !li.dataset.name.includes(q);
  });
  sync();

  return new Promise((resolve) => {
    let result = null;
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => resolve(result));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const act = value("action");
      const body = { action: act };
      if (from !== undefined) body.from = from === null ? null : from;
      if (act === "unassign_all") {
        if (!confirming) {
          confirming = true;
          const count = held === null ? "every conversation" : `all ${plural(held, "conversation")}`;
          confirmText.textContent = `Move ${count} of ${
            from === undefined ? "every sender" : fromLabel || "this sender"
          } back to Unassigned, whatever its status? This cannot be undone in one step.`;
          confirmText.hidden = false;
          submit.textContent = "Yes, unassign all";
          submit.focus();
          return;
        }
        body.to = UNASSIGNED;
      } else {
        body.status = value("status");
        const mode = value("to");
        if (mode === "some") {
          const ids = [...form.querySelectorAll("input.target:checked")].map((b) => Number(b.value));
          if (!ids.length) {
            error.textContent = "Choose at least one sender to move the conversations to.";
            error.hidden = false;
            return;
          }
          body.to = ids;
        } else {
          body.to = mode;
        }
        if (act === "reassign_some") {
          const n = Number(count.value);
          if (!Number.isInteger(n) || n < 1) {
            error.textContent = "Enter how many conversations to move (a whole number, 1 or more).";
            error.hidden = false;
            count.focus();
            return;
          }
          body.count = n;
        }
      }
      submit.disabled = true;
      try {
        result = await post(`/api/campaigns/${cid}/reassign`, body);
        notice(movedText(result, senders), "ok");
        dialog.close();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    showModal(/** @type {HTMLDialogElement} */ (dialog), opener);
  });
}
