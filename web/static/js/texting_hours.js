// The campaign form's texting rules: daily texting hours in each contact's own
// time zone, and practice mode (docs/texting-rules.md).
import { h } from "./ui.js";

/** The browser's zone: the likeliest campaign zone, offered when none is set. */
const HOME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** @typedef {{ hours_start: string, hours_end: string, time_zone: string, practice: boolean }} TextingState */

export function textingFields() {
  const start = /** @type {HTMLInputElement} */ (h("input", { type: "time", id: "hours-start" }));
  const end = /** @type {HTMLInputElement} */ (h("input", { type: "time", id: "hours-end" }));
  const zone = /** @type {HTMLInputElement} */ (
    h("input", { id: "hours-zone", list: "zone-names", autocomplete: "off", maxlength: 64, placeholder: HOME_ZONE })
  );
  // Intl lists the IANA names the server knows too; an older browser just offers none.
  const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const zoneNames = h("datalist", { id: "zone-names" }, names.map((n) => h("option", { value: n })));
  const practice = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", id: "practice", name: "practice" }));

  const element = [
    h(
      "fieldset",
      { class: "field", dataset: { field: "texting_hours" } },
      h("legend", {}, "Texting hours"),
      h("p", { class: "muted hint", id: "hours-hint" },
        "Initial and follow-up texts go out only between these times in each contact's own time zone; " +
        "the time zone below holds for numbers that do not tell theirs. Leave both times empty for any hour."),
      h("div", { class: "row" },
        h("div", { class: "field" }, h("label", { for: start.id }, "Texting hours start"), start),
        h("div", { class: "field" }, h("label", { for: end.id }, "Texting hours end"), end),
        h("div", { class: "field" }, h("label", { for: zone.id }, "Time zone"), zone, zoneNames)),
    ),
    h("div", { class: "check", dataset: { field: "practice" } }, practice, h("label", { for: practice.id }, "Practice campaign"),
      h("span", { class: "muted" }, " (texts go to simulated contacts who answer; nobody real is texted)")),
  ];

  return {
    element,
    /** @returns {TextingState} */
    state: () => ({ hours_start: start.value, hours_end: end.value, time_zone: zone.value, practice: practice.checked }),
    /** @param {Partial<TextingState>} s */
    set(s) {
      start.value = s.hours_start || "";
      end.value = s.hours_end || "";
      zone.value = s.time_zone || "";
      practice.checked = !!s.practice;
    },
  };
}

/** The form's state from a campaign as the API shows it. @returns {TextingState} */
export function textingFromCampaign(c) {
  const hours = c.texting_hours;
  return {
    hours_start: hours ? hours.start : "",
    hours_end: hours ? hours.end : "",
    time_zone: hours ? hours.time_zone : "",
    practice: !!c.practice,
  };
}

/** The request's texting keys; throws (as the API would) for half-filled hours. @param {TextingState} s */
export function textingBody(s) {
  if (!!s.hours_start !== !!s.hours_end) {
    throw { message: "'texting_hours' needs both a start and an end (or neither)." };
  }
  return {
    texting_hours: s.hours_start
      ? { start: s.hours_start, end: s.hours_end, time_zone: s.time_zone.trim() || HOME_ZONE }
      : null,
    practice: s.practice,
  };
}
