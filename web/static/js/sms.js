// How many SMS segments a text takes, the way carriers count them: GSM-7
// (160 characters, 153 per part when split; the extension characters take
// two) or, as soon as one character is outside it, UCS-2 (70, 67 per part,
// counted in UTF-16 code units, so an emoji takes two).

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

/**
 * @param {string} text
 * @returns {{ encoding: "GSM-7" | "UCS-2", units: number, segments: number, perSegment: number }}
 */
export function smsSegments(text) {
  let units = 0;
  let gsm = true;
  for (const ch of text) {
    if (BASIC.has(ch)) units += 1;
    else if (EXTENSION.has(ch)) units += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    const perSegment = units <= 160 ? 160 : 153;
    return { encoding: "GSM-7", units, segments: units ? Math.ceil(units / perSegment) : 0, perSegment };
  }
  units = text.length; // UTF-16 code units
  const perSegment = units <= 70 ? 70 : 67;
  return { encoding: "UCS-2", units, segments: Math.ceil(units / perSegment), perSegment };
}

/** "2 SMS segments (GSM-7, 170 characters)" */
export function segmentText(text) {
  const s = smsSegments(text);
  const what = s.segments === 1 ? "1 SMS segment" : `${s.segments} SMS segments`;
  return `${what} (${s.encoding}, ${s.units} character${s.units === 1 ? "" : "s"})`;
}
