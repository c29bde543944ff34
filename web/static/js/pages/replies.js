// Recommended replies, of a campaign (/campaigns/{cid}/replies) or of the
// whole organization (/replies): create, edit, delete.
import { api, get, items, post } from "../api.js";
import { confirmDialog, draftStore, formErrors } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, fill, h, message, notice } from "../ui.js";

const match = /^\/campaigns\/(\d+)\/replies$/.exec(location.pathname);
const cid = match ? Number(match[1]) : null;
const { root, heading } = await organizerPage({ title: "Recommended replies", cid: cid ?? undefined });
const listUrl = cid ? `/api/campaigns/${cid}/replies` : "/api/replies";
const drafts = draftStore(`reply.${cid ?? "org"}`);
const list = h("ul", { class: "reply-list", id: "replies" });

let seq = 0;

/**
 * The fields of a reply, in `form`; returns the inputs.
 * @param {HTMLElement} form
 * @param {{ title?: string, body?: string }} value
 */
function replyFields(form, value) {
  seq += 1;
  const title = h("input", { id: `reply-title-${seq}`, maxlength: 200, value: value.title || "" });
  const body = h("textarea", { id: `reply-body-${seq}`, rows: 3, maxlength: 1600 }, value.body || "");
  form.append(
    h("div", { class: "field", dataset: { field: "title" } }, h("label", { for: title.id }, "Title"), title),
    h("div", { class: "field", dataset: { field: "body" } }, h("label", { for: body.id }, "Reply text"), body),
  );
  return { title, body };
}

const newForm = h("form", { class: "card settings-form", id: "new-reply", novalidate: true }, h("h2", {}, "Add a reply"));
const fresh = replyFields(newForm, drafts.load() || {});
const addButton = h("button", { type: "submit", class: "primary" }, "Add reply");
newForm.append(h("div", { class: "buttons start" }, addButton));
const newErrors = formErrors(newForm);
newForm.addEventListener("input", () => drafts.save({ title: fresh.title.value, body: fresh.body.value }));
newForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  newErrors.clear();
  addButton.disabled = true;
  try {
    await post(listUrl, { title: fresh.title.value, body: fresh.body.value });
    drafts.clear();
    fresh.title.value = fresh.body.value = "";
    notice("Reply added.", "ok");
    await load();
    fresh.title.focus();
  } catch (err) {
    newErrors.show(err);
  } finally {
    addButton.disabled = false;
  }
});

function item(r) {
  const scope = r.campaign_id === null ? "Organization" : "This campaign";
  const li = h("li", { class: "card reply", dataset: { reply: String(r.id) } });
  const show = () => {
    fill(
      li,
      h("h3", {}, r.title, " ", h("span", { class: "muted small" }, `(${scope})`)),
      h("p", { class: "reply-body" }, r.body),
      h("div", { class: "buttons start" },
        h("button", { type: "button", "aria-label": `Edit ${r.title}`, onclick: edit }, "Edit"),
        h("button", {
          type: "button", class: "danger", "aria-label": `Delete ${r.title}`,
          onclick: () => confirmDialog({
            title: `Delete “${r.title}”?`,
            text: r.campaign_id === null ? "Senders of every campaign stop seeing it." : "Senders of this campaign stop seeing it.",
            confirm: "Delete",
            danger: true,
            action: async () => {
              await api("DELETE", `/api/replies/${r.id}`); // 204: no body
              return true;
            },
          }).then(async (done) => {
            if (done) {
              notice("Reply deleted.", "ok");
              await load();
            }
          }),
        }, "Delete")),
    );
  };
  const edit = () => {
    const form = h("form", { class: "settings-form", novalidate: true, "aria-label": `Edit ${r.title}` });
    const fields = replyFields(form, r);
    const errors = formErrors(form);
    form.append(h("div", { class: "buttons start" },
      h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => { show(); li.querySelector("button")?.focus(); } }, "Cancel")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        Object.assign(r, await api("PATCH", `/api/replies/${r.id}`, { title: fields.title.value, body: fields.body.value }));
        notice("Reply saved.", "ok");
        show();
        li.querySelector("button")?.focus();
      } catch (err) {
        errors.show(err);
      }
    });
    fill(li, form);
    fields.title.focus();
  };
  show();
  return li;
}

async function load() {
  const replies = items(await get(listUrl), "replies");
  fill(list, replies.length ? replies.map(item) : h("li", { class: "muted" }, "No recommended replies yet."));
  document.body.dataset.loaded = "true";
}

async function main() {
  if (cid) {
    get(`/api/campaigns/${cid}`).then((c) => {
      heading.textContent = `${c.title}: recommended replies`;
      document.title = `${c.title} · Replies · shiftline`;
    }, () => {});
  }
  root.append(
    h("p", { class: "muted" }, cid
      ? "Replies of this campaign come first in its senders' list, then the organization's."
      : "Replies every campaign's senders can pick from."),
    list,
    newForm,
  );
  try {
    await load();
  } catch (err) {
    message(list, errorText(err), "error");
  }
}

main();
