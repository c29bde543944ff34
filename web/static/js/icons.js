// Small inline icons. Emoji would need a colour-emoji font, which many
// machines (and headless browsers) lack: they showed as empty boxes there.

const SVG = "http://www.w3.org/2000/svg";

/** @type {Record<"camera" | "drop", string>} */
const PATHS = {
  camera: "M3 8h4l2-3h6l2 3h4v11H3z M12 10a3.5 3.5 0 1 1 0 7a3.5 3.5 0 1 1 0-7z",
  drop: "M12 3C9 8 6 11.2 6 14.5a6 6 0 0 0 12 0C18 11.2 15 8 12 3z",
};

/**
 * A decorative icon (hidden from assistive technology: its button carries the name).
 * @param {"camera" | "drop"} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "1.1em", height: "1.1em", "aria-hidden": "true", focusable: "false", class: "icon" })) {
    svg.setAttribute(k, v);
  }
  const path = document.createElementNS(SVG, "path");
  for (const [k, v] of Object.entries({ d: PATHS[name], fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linejoin": "round" })) {
    path.setAttribute(k, v);
  }
  svg.append(path);
  return svg;
}
