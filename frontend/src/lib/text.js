// Characters are counted the way a reader sees them and the way the server counts them:
// extended grapheme clusters (Unicode UAX #29). "👨‍👩‍👧‍👦" is one, a flag is one, "é" written as
// e + U+0301 is one, and a CRLF line break is one.
let segmenter = null
function getSegmenter() {
  if (segmenter === null) {
    segmenter = typeof Intl !== 'undefined' && Intl.Segmenter
      ? new Intl.Segmenter('zh', { granularity: 'grapheme' })
      : false
  }
  return segmenter
}

/** Count the grapheme clusters in `text` (0 for null/undefined). */
export function countChars(text) {
  if (!text) return 0
  const seg = getSegmenter()
  if (!seg) return Array.from(text).length // code points: close, never under-counts a CJK text
  let n = 0
  // eslint-disable-next-line no-unused-vars
  for (const _ of seg.segment(text)) n++
  return n
}

/** The first `max` grapheme clusters of `text`. */
export function truncateChars(text, max) {
  if (!text) return ''
  const seg = getSegmenter()
  if (!seg) return Array.from(text).slice(0, max).join('')
  let out = ''
  let n = 0
  for (const { segment } of seg.segment(text)) {
    if (n++ >= max) break
    out += segment
  }
  return out
}

export const TEXT_LIMIT = 500
export const NAME_LIMIT = 50
