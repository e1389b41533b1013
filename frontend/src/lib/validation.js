// The task form's rules, as one pure function so the page and the tests check the same thing.
// Each problem is {field, key, params}: `field` is the API's field path ("schedule.time"),
// `key` an i18n key under `v.*`. The server re-checks everything; this only saves a round trip.
import { countChars, NAME_LIMIT, TEXT_LIMIT } from './text.js'
import { isValidZone, parseWall, wallToInstant } from './time.js'

export const MAX_GROUPS = 100
const APPID_RE = /^wx[0-9a-f]{16}$/i

export function isHttpUrl(value) {
  try {
    const u = new URL(value)
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname
  } catch {
    return false
  }
}

/**
 * Problems with the task form `form` (the shape made by taskToForm) for `mode`:
 * 'draft' checks only what can never be saved; 'submit' also what scheduling needs.
 */
export function validateTask(form, mode = 'submit', now = Date.now()) {
  const out = []
  const add = (field, key, params) => out.push({ field, key, params })
  const submit = mode === 'submit'

  const name = (form.name || '').trim()
  if (!name) add('name', 'v.nameRequired')
  else if (countChars(name) > NAME_LIMIT) add('name', 'v.nameTooLong', { max: NAME_LIMIT })

  const s = form.schedule || {}
  if (!isValidZone(s.timezone)) add('schedule.timezone', 'v.zoneInvalid')
  // The server needs a time even for a draft (its schedule is always complete).
  if (!s.time) {
    add('schedule.time', 'v.timeRequired')
  } else if (!parseWall(s.time)) {
    add('schedule.time', 'v.timeInvalid')
  } else if (submit && s.type === 'once' && isValidZone(s.timezone) && wallToInstant(s.time, s.timezone) <= now) {
    add('schedule.time', 'v.timeInPast')
  }
  if (s.type === 'recurring') {
    if (!Number.isInteger(s.interval) || s.interval < 1) add('schedule.interval', 'v.intervalInvalid')
    if (s.recurringInterval === 'weekly' && !(s.weekdays || []).length) add('schedule.weekdays', 'v.weekdaysRequired')
    if (s.recurringInterval === 'monthly' && !(Number.isInteger(s.monthDay) && s.monthDay >= 1 && s.monthDay <= 31)) {
      add('schedule.monthDay', 'v.monthDayInvalid')
    }
    if (s.endMode === 'date') {
      if (!s.recurringEnd) add('schedule.recurringEnd', 'v.endDateRequired')
      else if (s.time && s.recurringEnd < s.time.slice(0, 10)) add('schedule.recurringEnd', 'v.endBeforeStart')
    }
    if (s.endMode === 'count' && !(Number.isInteger(s.endAfter) && s.endAfter >= 1)) add('schedule.endAfter', 'v.endAfterInvalid')
  }

  const c = form.content || {}
  const mp = c.miniprogram || {}
  const text = c.text || ''
  if (countChars(text) > TEXT_LIMIT) add('content.text', 'v.textTooLong', { max: TEXT_LIMIT })
  const hasMp = !!(mp.appid || mp.pagePath || mp.title)
  if (submit && !text.trim() && !c.image && !c.link && !hasMp) add('content.text', 'v.contentEmpty')
  if (c.link && !isHttpUrl(c.link.trim())) add('content.link', 'v.linkInvalid')
  if (hasMp) {
    if (!APPID_RE.test((mp.appid || '').trim())) add('content.miniprogram.appid', 'v.appidInvalid')
    const path = (mp.pagePath || '').trim()
    if (!path) add('content.miniprogram.pagePath', 'v.pagePathRequired')
    else if (/^[a-z]+:\/\//i.test(path)) add('content.miniprogram.pagePath', 'v.pagePathInvalid')
  }

  const groups = form.groups || []
  if (submit && groups.length === 0) add('groups', 'v.groupsRequired')
  if (groups.length > MAX_GROUPS) add('groups', 'v.groupsTooMany', { max: MAX_GROUPS })
  return out
}
