// The step form's checks: the same rules and the same words as the server (pushtask/services/tasks/checks.py),
// so most mistakes are caught before a round trip. The server stays the judge: its 400 details are
// mapped back onto the step that holds the field (stepOfField).
const i18n = require('./i18n')
const { countChars } = require('./format')

const NAME_LIMIT = 50
const TEXT_LIMIT = 500
const GROUP_LIMIT = 100
const STEPS = ['time', 'content', 'groups', 'recipients', 'preview']

function checkTime(form) {
  const errors = {}
  const n = countChars((form.name || '').trim())
  if (n === 0 || n > NAME_LIMIT) errors.name = i18n.t().rules.nameLength(n)
  if (!form.date) errors.date = i18n.t().rules.required
  if (!form.time) errors.time = i18n.t().rules.required
  if (form.type === 'recurring') {
    if (!form.recurringInterval) errors.recurringInterval = i18n.t().rules.intervalRequired
    else if (form.recurringInterval === 'weekly' && !(form.weekdays || []).length)
      errors.weekdays = i18n.t().rules.weekdaysRequired
    else if (form.recurringInterval === 'monthly') {
      const day = Number(form.monthDay)
      if (!(day >= 1 && day <= 31)) errors.monthDay = i18n.t().rules.monthDayRange
    }
    if (form.endMode === 'date' && !form.recurringEnd) errors.recurringEnd = i18n.t().rules.required
    else if (form.endMode === 'date' && form.date && form.recurringEnd < form.date)
      errors.recurringEnd = i18n.t().rules.endBeforeStart
    if (form.endMode === 'count') {
      const count = Number(form.endAfter)
      if (!(count >= 1 && count <= 1000 && Math.floor(count) === count)) errors.endAfter = i18n.t().rules.endAfterRange
    }
  }
  return errors
}

function checkContent(form) {
  const errors = {}
  const n = countChars(form.text || '')
  if (n > TEXT_LIMIT) errors.text = i18n.t().rules.textTooLong(TEXT_LIMIT, n)
  const link = (form.link || '').trim()
  if (link && !/^https?:\/\/[^\s/?#]+\.[^\s/?#]+/i.test(link)) errors.link = i18n.t().rules.linkInvalid
  const mp = form.miniprogram || {}
  const hasCard = !!(mp.appid || mp.pagePath || mp.title || mp.thumbnail)
  if (hasCard && !(mp.appid && mp.pagePath && mp.title && mp.thumbnail)) errors.miniprogram = i18n.t().rules.miniprogramIncomplete
  else if (hasCard && !/^wx[0-9a-f]{16}$/.test(mp.appid.trim())) errors.miniprogram = i18n.t().rules.miniprogramAppid
  else if (hasCard && !/^https?:\/\/[^\s/?#]+/i.test(mp.thumbnail.trim())) errors.miniprogram = i18n.t().rules.miniprogramThumbnail
  if (!(form.text || '').trim() && !link && !form.image && !hasCard) errors.content = i18n.t().rules.contentRequired
  return errors
}

function checkGroups(form) {
  const n = (form.groups || []).length
  if (n === 0) return { groups: i18n.t().rules.groupsRequired }
  if (n > GROUP_LIMIT) return { groups: i18n.t().rules.groupsTooMany(n) }
  return {}
}

function checkRecipients(form) {
  return (form.previewRecipients || []).length ? {} : { previewRecipients: i18n.t().rules.recipientsRequired }
}

const CHECKS = [checkTime, checkContent, checkGroups, checkRecipients, () => ({})]

/** Return {field: message} for the step's problems; empty when the step may be left. */
function checkStep(step, form) {
  return CHECKS[step](form)
}

/** Return the step index that edits a server field such as "schedule.time" or "content.text". */
function stepOfField(field) {
  if (field === 'name' || field === 'priority' || field.indexOf('schedule') === 0) return 0
  if (field.indexOf('content') === 0 || field === 'feedbackEnabled') return 1
  if (field === 'groups') return 2
  if (field === 'previewRecipients') return 3
  return 4
}

/** Return the form field a server field is shown under. */
function formFieldOf(field) {
  const map = {
    'schedule.time': 'date',
    'schedule.recurringInterval': 'recurringInterval',
    'schedule.weekdays': 'weekdays',
    'schedule.monthDay': 'monthDay',
    'content.text': 'text',
    'content.link': 'link',
    'content.image': 'image',
    'schedule.recurringEnd': 'recurringEnd',
    'schedule.endAfter': 'endAfter',
    'schedule.interval': 'recurringInterval',
    schedule: 'date',
  }
  if (field.indexOf('content.miniprogram') === 0) return 'miniprogram'
  return map[field] || field
}

module.exports = { STEPS, NAME_LIMIT, TEXT_LIMIT, GROUP_LIMIT, checkStep, stepOfField, formFieldOf }
