// MMS in the pages: the pictures and video of a message, and the composer's
// camera button (choose a file, upload it, see it, remove it, send it).

import { api } from "./api.js";
import { icon } from "./icons.js";
import { errorText, h, notice } from "./ui.js";

// What POST /api/media takes (docs/media.md); checked here too, to save a long upload.
export const MAX_MEDIA_BYTES = 5 * 1024 * 1024;
export const ACCEPT = "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/3gpp,video/quicktime";

/** Whether `url` may be shown: this server's own /media/ links, or http(s) (never javascript: or data:). */
export function safeMediaUrl(url) {
  if (typeof url !== "string" || !url) return false;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The pictures and video of message `m`: `media` items with a `url`, or the
 * older `media_urls`. A video plays in the page; a picture opens full size.
 * @param {any} m
 * @returns {HTMLElement[]}
 */
export function mediaOf(m) {
  const items = Array.isArray(m.media) && m.media.length
    ? m.media
    : (m.media_urls || []).map((url) => ({ url, content_type: "" }));
  const whose = m.direction === "inbound" ? "sent by the contact" : "sent to the contact";
  return items.filter((item) => safeMediaUrl(item.url)).map((item) => {
    if (String(item.content_type || "").startsWith("video/")) {
      return h("video", { class: "media", src: item.url, controls: true, preload: "metadata", "aria-label": `Video ${whose}` });
    }
    const link = h("a", { href: item.url, class: "media", target: "_blank", rel: "noopener" });
    const img = h("img", { src: item.url, alt: `Picture ${whose}`, loading: "lazy" });
    // Not a picture after all (or gone): a plain link stays.
    img.addEventListener("error", () => link.replaceChildren("Attachment"));
    link.append(img);
    return link;
  });
}

/**
 * The files attached to one conversation's next text. Kept across the
 * composer's re-renders; cleared once the text is sent.
 */
export class Attachments {
  constructor() {
    /** @type {{ id: number, content_type: string, size: number, warning?: string, preview: string }[]} */
    this.items = [];
    this.uploading = 0;
    /** @type {() => void} */
    this.onChange = () => {};
  }

  ids() {
    return this.items.map((item) => item.id);
  }

  clear() {
    for (const item of this.items) URL.revokeObjectURL(item.preview);
    this.items = [];
    this.onChange();
  }

  remove(id) {
    const gone = this.items.find((item) => item.id === id);
    if (gone) URL.revokeObjectURL(gone.preview);
    this.items = this.items.filter((item) => item.id !== id);
    this.onChange();
  }

  /** Upload `file`; a refusal is said and nothing else changes (the typed text stays as it is). */
  async add(file) {
    if (file.size > MAX_MEDIA_BYTES) {
      notice(`"${file.name}" is larger than 5 MB, more than a picture message can carry.`, "error");
      return;
    }
    const form = new FormData();
    form.append("file", file, file.name);
    this.uploading += 1;
    this.onChange();
    try {
      const media = await api("POST", "/api/media", form);
      this.items.push({ ...media, preview: URL.createObjectURL(file) });
    } catch (err) {
      notice(`"${file.name}" was not attached: ${errorText(err)}`, "error");
    } finally {
      this.uploading -= 1;
      this.onChange();
    }
  }

  /** The camera button and its hidden file chooser. */
  button(idSuffix) {
    // Reached through the camera button, so it is left out of the tab order.
    const input = h("input", { type: "file", accept: ACCEPT, id: `attach-file-${idSuffix}`, class: "sr-only", tabindex: "-1", "aria-label": "Picture or video to attach" });
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      input.value = "";
      if (file) this.add(file);
    });
    const button = h(
      "button",
      { type: "button", class: "attach", "aria-label": "Attach a picture or video", title: "Attach a picture or video", onclick: () => input.click() },
      icon("camera"),
    );
    return [input, button];
  }

  /** The attached files: a thumbnail each with its remove button, and the carrier advice when given. */
  tray() {
    if (!this.items.length && !this.uploading) return null;
    return h(
      "ul",
      { class: "attachments", "aria-label": "Attached to the next text" },
      this.items.map((item) =>
        h(
          "li",
          { class: "attachment", dataset: { mediaId: String(item.id) } },
          item.content_type.startsWith("video/")
            ? h("video", { src: item.preview, muted: true, "aria-label": "Attached video" })
            : h("img", { src: item.preview, alt: "Attached picture" }),
          h("button", { type: "button", class: "link", onclick: () => this.remove(item.id) }, "Remove"),
          item.warning ? h("p", { class: "attach-warning", role: "status" }, item.warning) : null,
        ),
      ),
      this.uploading ? h("li", { class: "muted", role: "status" }, "Uploading…") : null,
    );
  }
}
