// A campaign's contacts: upload a CSV with its progress, then what became of each row.
import { get, session } from "../api.js";
import { csvCell, saveBlob } from "../forms.js";
import { organizerPage } from "../nav.js";
import { errorText, fill, h, message, plural } from "../ui.js";

const cid = Number(location.pathname.split("/")[2]);
const { root, heading } = await organizerPage({ title: "Contacts", cid });

const count = h("p", { id: "contact-count", "aria-live": "polite" });
const file = h("input", { type: "file", id: "contacts-file", accept: ".csv,text/csv", required: true });
const upload = h("button", { type: "submit", class: "primary" }, "Upload");
const progress = /** @type {HTMLProgressElement} */ (h("progress", { id: "upload-progress", max: 100, hidden: true, "aria-label": "Upload progress" }));
const progressText = h("p", { id: "upload-status", role: "status", "aria-live": "polite" });
const error = h("p", { class: "form-error", role: "alert", hidden: true });
const results = h("section", { id: "upload-results", "aria-label": "Upload results", hidden: true });
const form = h(
  "form",
  { class: "card settings-form", id: "upload-form" },
  h("p", { class: "muted" }, "A CSV file with the columns first_name, last_name and phone; other columns are kept with each contact."),
  h("div", { class: "field" }, h("label", { for: file.id }, "Contacts file"), file),
  error,
  h("div", { class: "buttons start" }, upload),
  progress,
  progressText,
);

async function showCount() {
  try {
    const c = await get(`/api/campaigns/${cid}`);
    heading.textContent = `${c.title}: contacts`;
    document.title = `${c.title} · Contacts · shiftline`;
    count.textContent = `${plural(c.contact_count, "contact")} in this campaign.`;
  } catch (err) {
    count.textContent = errorText(err);
  }
}

/**
 * Send the file with its progress: the bytes going up, then the server
 * working through the rows (the bar has no value then: it cannot tell how far).
 * @param {File} chosen
 * @returns {Promise<any>}
 */
function send(chosen) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/campaigns/${cid}/contacts`);
    const s = session();
    if (s && s.token) xhr.setRequestHeader("Authorization", `Bearer ${s.token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (ev) => {
      if (!ev.lengthComputable) return;
      const pct = Math.round((100 * ev.loaded) / ev.total);
      progress.value = pct;
      progress.setAttribute("aria-valuetext", `${pct}% uploaded`);
      progressText.textContent = `Uploading… ${pct}%`;
    });
    xhr.upload.addEventListener("load", () => {
      progress.removeAttribute("value"); // indeterminate
      progress.setAttribute("aria-valuetext", "Checking the contacts");
      progressText.textContent = "Uploaded; checking the contacts…";
      document.body.dataset.upload = "processing";
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new Error((data && data.error && data.error.message) || `The server answered ${xhr.status}.`));
    });
    xhr.addEventListener("error", () => reject(new Error("The server cannot be reached right now.")));
    const body = new FormData();
    body.append("file", chosen);
    xhr.send(body);
  });
}

function showResults(r) {
  const problems = r.problems || [];
  const counts = [
    ["added", "added"],
    ["invalid", "invalid"],
    ["duplicate", "duplicate"],
    ["opted_out", "opted_out"],
  ];
  fill(
    results,
    h("h2", {}, "Upload results"),
    h("dl", { class: "result-counts" }, counts.map(([k, label]) => [h("dt", {}, label), h("dd", { id: `result-${k}` }, String(r[k] ?? 0))])),
    problems.length
      ? [
          // Invalid rows and duplicates, with the reason for each (the server lists the first few hundred).
          h("h3", {}, "Rows not added", r.invalid + r.duplicate > problems.length ? ` (the first ${problems.length})` : ""),
          h("div", { class: "table-wrap" }, h("table", { class: "table", id: "invalid-rows" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Row"), h("th", { scope: "col" }, "Reason"))),
            h("tbody", {}, problems.map((p) => h("tr", {}, h("td", {}, String(p.row)), h("td", {}, p.reason)))))),
          h("button", {
            type: "button",
            onclick: () => {
              const lines = ["row,reason", ...problems.map((p) => `${csvCell(p.row)},${csvCell(p.reason)}`)];
              saveBlob(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }), `campaign-${cid}-rows-not-added.csv`);
            },
          }, "Download rows not added"),
        ]
      : null,
  );
  results.hidden = false;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  file.removeAttribute("aria-invalid");
  const chosen = file.files && file.files[0];
  if (!chosen) {
    error.textContent = "Choose a CSV file first.";
    error.hidden = false;
    file.setAttribute("aria-invalid", "true");
    file.focus();
    return;
  }
  upload.disabled = file.disabled = true;
  results.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  document.body.dataset.upload = "uploading";
  progressText.textContent = "Uploading… 0%";
  try {
    const r = await send(chosen);
    progressText.textContent = `Done: ${plural(r.added, "contact")} added.`;
    showResults(r);
    file.value = "";
    await showCount();
  } catch (err) {
    progressText.textContent = "";
    error.textContent = errorText(err);
    error.hidden = false;
  } finally {
    progress.hidden = true;
    upload.disabled = file.disabled = false;
    document.body.dataset.upload = "done";
  }
});

async function main() {
  root.append(count, form, results);
  await showCount().catch((err) => message(root, errorText(err), "error"));
  document.body.dataset.loaded = "true";
}

main();
