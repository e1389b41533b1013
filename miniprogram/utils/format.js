// Small display helpers: the next push time in words and the character count a reader sees.
const i18n = require('./i18n')

function pad(n) {
  return n < 10 ? `0${n}` : `${n}`
}

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
}

/** Describe an ISO instant relative to `now` in the phone's time zone: “今天 18:00”, “3月5日 09:00”. */
function nextFireText(iso, now) {
  if (!iso) return i18n.t().tasks.noNext
  const at = new Date(iso)
  if (isNaN(at.getTime())) return i18n.t().tasks.noNext
  const current = now || new Date()
  const diffMs = at.getTime() - current.getTime()
  if (diffMs < 0) return i18n.t().when.past
  if (diffMs < 60 * 60 * 1000) return i18n.t().when.inMinutes(Math.max(1, Math.round(diffMs / 60000)))
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`
  const days = Math.round((startOfDay(at) - startOfDay(current)) / 86400000)
  if (days === 0) return `${i18n.t().when.today} ${clock}`
  if (days === 1) return `${i18n.t().when.tomorrow} ${clock}`
  if (days === 2) return `${i18n.t().when.dayAfter} ${clock}`
  const day =
    at.getFullYear() === current.getFullYear()
      ? i18n.t().when.monthDay(at.getMonth() + 1, at.getDate())
      : i18n.t().when.yearMonthDay(at.getFullYear(), at.getMonth() + 1, at.getDate())
  return `${day} ${clock}`
}

/** Count user-perceived characters (an emoji, even a ZWJ sequence, is one), as the server does. */
function countChars(text) {
  if (!text) return 0
  if (typeof Intl !== 'undefined' && typeof Intl.Segmenter === 'function') {
    let n = 0
    // eslint-disable-next-line no-unused-vars
    for (const _ of new Intl.Segmenter('zh', { granularity: 'grapheme' }).segment(text)) n += 1
    return n
  }
  // Older engines: code points, with ZWJ joins and variation selectors folded in.
  return Array.from(text.replace(/\u200d\S/gu, '').replace(/[\ufe0e\ufe0f\u{1f3fb}-\u{1f3ff}]/gu, '')).length
}

module.exports = { nextFireText, countChars, pad }
