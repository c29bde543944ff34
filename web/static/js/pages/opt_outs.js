// The organization's opt-out list (owners and admins): search a number, opt
// one out or back in, opt out every number of a CSV, download the list.
import { api, get, post, query, session } from "../api.js";
import { confirmDialog, download, formErrors } from "../forms.js";
import { organizerPage } from "../nav.js";
import { debounce, errorText, fill, h, message, notice, plural } from "../ui.js";

const { root, token } = await organizerPage({ title: "Opt-outs", admins: true });

const search = h("input", { type: "search", id: "optout-search", inputmode: "tel", autocomplete: "off" });
const total = h("p", { id: "optout-total", "aria-live": "polite" });
const tbody = h("tbody", { id: "optouts-body" });
const more = h("button", { type: "button", hidden: true }, "Show more");
let next = null;

const phone = h("input", { id: "optout-phone", type: "tel", autocomplete: "off", maxlength: 40 });
const addButton = h("button", { type: "submit", class: "primary" }, "Opt out");
const addForm = h(
  "form",
  { class: "card settings-form", id: "add-optout", novalidate: true },
  h("h2", {}, "Opt a number out"),
  h("p", { class: "muted hint" }, "The number is not texted by any campaign of the organization, and its conversations show as opted out."),
  h("div", { class: "field", dataset: { field: "phone" } }, h("label", { for: phone.id }, "Phone number"), phone),
  h("div", { class: "buttons start" }, addButton),
);
const addErrors = formErrors(addForm, { invalid_phone: "phone" });

const file = h("input", { type: "file", id: "optout-file", accept: ".csv,text/csv" });
const uploadButton = h("button", { type: "submit" }, "Upload");
const uploadResult = h("p", { id: "optout-upload-result", role: "status" });
const uploadForm = h(
  "form",
  { class: "card settings-form", id: "upload-optouts" },
  h("h2", {}, "Opt out a file of numbers"),
  h("p", { class: "muted hint" }, "A CSV with a phone column (or the numbers in the first column)."),
  h("div", { class: "field", dataset: { field: "file" } }, h("label", { for: file.id }, "Opt-out file"), file),
  h("div", { class: "buttons start" }, uploadButton),
  uploadResult,
);
const uploadErrors = formErrors(uploadForm);

function row(r) {
  const when = r.created_at ? new Date(r.created_at).toLocaleString() : "";
  return h("tr", { dataset: { phone: r.phone } },
    h("td", {}, r.phone),
    h("td", {}, r.source === "keyword" ? "Texted STOP" : "By hand"),
    h("td", {}, when),
    h("td", { class: "col-actions" }, h("button", {
      type: "button", "aria-label": `Opt ${r.phone} back in`,
      onclick: () => confirmDialog({
        title: `Opt ${r.phone} back in?`,
        text: "Campaigns of the organization may text this number again. Only do this when the person asked for it.",
        confirm: "Opt in",
        action: async () => {
          await api("DELETE", `/api/opt-outs/${encodeURIComponent(r.phone)}`);
          return true;
        },
      }).then((done) => {
        if (done) return load();
      }),
    }, "Opt in")));
}

async function load(append = false) {
  const page = await get(`/api/opt-outs${query({ search: search.value.trim(), after: append ? next : null })}`);
  next = page.next;
  more.hidden = !next;
  total.textContent = search.value.trim()
    ? `${plural(page.total, "number")} match.`
    : `${plural(page.total, "number")} opted out.`;
  const rows = page.opt_outs.map(row);
  if (append) tbody.append(...rows);
  else fill(tbody, rows.length ? rows : h("tr", {}, h("td", { colspan: 4 }, "No numbers here.")));
  document.body.dataset.loaded = "true";
}

search.addEventListener("input", debounce(() => load().catch((err) => notice(errorText(err), "error")), 250));
more.addEventListener("click", () => load(true).catch((err) => notice(errorText(err), "error")));

addForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  addErrors.clear();
  addButton.disabled = true;
  try {
    const r = await post("/api/opt-outs", { phone: phone.value });
    phone.value = "";
    notice(`${r.phone} opted out.`, "ok");
    await load();
  } catch (err) {
    addErrors.show(err);
  } finally {
    addButton.disabled = false;
  }
});

uploadForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  uploadErrors.clear();
  const chosen = file.files && file.files[0];
  if (!chosen) {
    uploadErrors.show({ message: "Choose a CSV file first." });
    return;
  }
  uploadButton.disabled = true;
  uploadResult.textContent = "Uploading…";
  try {
    const body = new FormData();
    body.append("file", chosen);
    const s = session();
    const response = await fetch("/api/opt-outs/upload", { method: "POST", body, headers: s ? { Authorization: `Bearer ${s.token}` } : {} });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
    uploadResult.textContent = `${plural(data.added, "number")} opted out, ${data.already} already on the list, ${data.invalid} invalid.`;
    file.value = "";
    await load();
  } catch (err) {
    uploadResult.textContent = "";
    uploadErrors.show({ message: errorText(err) });
  } finally {
    uploadButton.disabled = false;
  }
});

async function main() {
  root.append(
    h("section", { class: "card", "aria-labelledby": "list-title" },
      h("h2", { id: "list-title" }, "The list"),
      h("div", { class: "toolbar" },
        h("label", { for: search.id, class: "sr-only" }, "Search a number"),
        Object.assign(search, { placeholder: "Search a number" }),
        h("button", {
          type: "button",
          onclick: () => download("/api/opt-outs.csv", "opt-outs.csv", token).catch((err) => notice(errorText(err), "error")),
        }, "Download the list")),
      total,
      h("div", { class: "table-wrap" }, h("table", { class: "table", id: "optouts" },
        h("thead", {}, h("tr", {}, ["Number", "How", "Since"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
        tbody)),
      more),
    addForm,
    uploadForm,
  );
  try {
    await load();
  } catch (err) {
    message(tbody, errorText(err), "error");
  }
}

main();
