// Users and roles (owners and admins): add, change a role, deactivate.
import { api, get, items, post } from "../api.js";
import { confirmDialog, draftStore, formErrors } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, fill, fullName, h, message, notice } from "../ui.js";

const { user: me, root } = await organizerPage({ title: "Users and roles", admins: true });
const ROLES = ["owner", "admin", "moderator", "sender"];
// Only an owner makes (or changes) an owner.
const grantable = ROLES.filter((r) => r !== "owner" || me.role === "owner");
const drafts = draftStore("new-user");

const tbody = h("tbody", { id: "users-body" });

/** @param {string} id @param {string} label @param {HTMLElement} input @param {string} field */
function field(id, label, input, field) {
  input.id = id;
  return h("div", { class: "field", dataset: { field } }, h("label", { for: id }, label), input);
}

const email = h("input", { type: "email", name: "email", autocomplete: "off", required: true, maxlength: 320 });
const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 8 });
const first = h("input", { name: "first_name", required: true, maxlength: 100 });
const last = h("input", { name: "last_name", maxlength: 100 });
const role = h("select", { name: "role" }, grantable.map((r) => h("option", { value: r, selected: r === "sender" }, r)));
const addButton = h("button", { type: "submit", class: "primary" }, "Add user");
const form = h(
  "form",
  { class: "card settings-form", id: "new-user", novalidate: true },
  h("h2", {}, "Add a user"),
  h("div", { class: "row" }, field("new-first", "First name", first, "first_name"), field("new-last", "Last name", last, "last_name")),
  h("div", { class: "row" }, field("new-email", "Email", email, "email"), field("new-password", "Password", password, "password")),
  field("new-role", "Role", role, "role"),
  h("div", { class: "buttons start" }, addButton),
);
const errors = formErrors(form, { invalid_email: "email", email_taken: "email", weak_password: "password", invalid_role: "role" });

// The password is never kept in a draft.
const DRAFTED = /** @type {HTMLInputElement[]} */ ([email, first, last, role]);
form.addEventListener("input", () => drafts.save(Object.fromEntries(DRAFTED.map((el) => [el.name, el.value]))));

function render(users) {
  fill(
    tbody,
    users.map((u) => {
      const name = fullName(u) || u.email;
      const self = u.id === me.id;
      const fixed = self || (u.role === "owner" && me.role !== "owner");
      const pick = h("select", { id: `role-${u.id}`, disabled: fixed || !u.active, "aria-label": `Role of ${name}` },
        (fixed ? ROLES : grantable).map((r) => h("option", { value: r, selected: r === u.role }, r)));
      pick.addEventListener("change", async () => {
        try {
          await api("PATCH", `/api/users/${u.id}`, { role: pick.value });
          notice(`${name} is now ${pick.value}.`, "ok");
        } catch (err) {
          notice(errorText(err), "error");
        }
        await load();
        /** @type {HTMLElement | null} */ (document.getElementById(`role-${u.id}`))?.focus();
      });
      const toggle = u.active
        ? h("button", {
            type: "button", class: "danger", disabled: fixed, "aria-label": `Deactivate ${name}`,
            onclick: () => confirmDialog({
              title: `Deactivate ${name}?`,
              text: `${name} can no longer log in, and is logged out everywhere at once. Their conversations stay where they are until you move them.`,
              confirm: "Deactivate",
              danger: true,
              action: () => api("PATCH", `/api/users/${u.id}`, { active: false }),
            }).then((r) => {
              if (r) return load();
            }),
          }, "Deactivate")
        : h("button", {
            type: "button", disabled: fixed, "aria-label": `Reactivate ${name}`,
            onclick: async () => {
              try {
                await api("PATCH", `/api/users/${u.id}`, { active: true });
              } catch (err) {
                notice(errorText(err), "error");
              }
              await load();
            },
          }, "Reactivate");
      return h("tr", { dataset: { user: String(u.id) }, class: u.active ? "" : "inactive" },
        h("td", {}, name, self ? h("span", { class: "muted" }, " (you)") : null),
        h("td", {}, u.email),
        h("td", {}, pick),
        h("td", {}, u.active ? "Active" : "Deactivated"),
        h("td", { class: "col-actions" }, toggle));
    }),
  );
}

async function load() {
  render(items(await get("/api/users"), "users"));
  document.body.dataset.loaded = "true";
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  errors.clear();
  addButton.disabled = true;
  try {
    const made = await post("/api/users", {
      email: email.value.trim(), password: password.value, first_name: first.value.trim(), last_name: last.value.trim(), role: role.value,
    });
    drafts.clear();
    /** @type {HTMLFormElement} */ (form).reset();
    notice(`${fullName(made)} added as ${made.role}.`, "ok");
    await load();
    first.focus();
  } catch (err) {
    errors.show(err);
  } finally {
    addButton.disabled = false;
  }
});

async function main() {
  const draft = drafts.load();
  if (draft) for (const el of DRAFTED) if (typeof draft[el.name] === "string") el.value = draft[el.name];
  root.append(
    h("section", { class: "card", "aria-labelledby": "users-title" }, h("h2", { id: "users-title" }, "Users"),
      h("div", { class: "table-wrap" }, h("table", { class: "table", id: "users" },
        h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Status"].map((t) => h("th", { scope: "col" }, t)),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
        tbody))),
    form,
  );
  try {
    await load();
  } catch (err) {
    message(tbody, errorText(err), "error");
  }
}

main();
