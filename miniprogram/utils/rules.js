// The step form's checks: the same rules and the same words as the server (pushtask/services/tasks.py),
// so most mistakes are caught before a round trip. The server stays the judge: its 400 details are
// mapped back onto the step that holds the field (stepOfField).
const messages = require('./messages')
const { countChars } = require('./format')

const NAME_LIMIT = 50
const TEXT_LIMIT = 500
const GROUP_LIMIT = 100
const STEPS = ['time', 'content', 'groups', 'recipients', 'preview']

function checkTime(form) {
  const errors = {}
  const n = countChars((form.name || '').trim())
  if (n === 0 || n > NAME_LIMIT) errors.name = messages.rules.nameLength(n)
  if (!form.date) errors.date = messages.rules.required
  if (!form.time) errors.time = messages.rules.required
  if (form.type === 'recurring') {
    if (!form.recurringInterval) errors.recurringInterval = messages.rules.intervalRequired
    else if (form.recurringInterval === 'weekly' && !(form.weekdays || []).length)
      errors.weekdays = messages.rules.weekdaysRequired
    else if (form.recurringInterval === 'monthly') {
      const day = Number(form.monthDay)
      if (!(day >= 1 && day <= 31)) errors.monthDay = messages.rules.monthDayRange
    }
  }
  return errors
}

function checkContent(form) {
  const errors = {}
  const n = countChars(form.text || '')
  if (n > TEXT_LIMIT) errors.text = messages.rules.textTooLong(TEXT_LIMIT, n)
  const link = (form.link || '').trim()
  if (link && !/^https?:\/\/[^\s/?#]+\.[^\s/?#]+/i.test(link)) errors.link = messages.rules.linkInvalid
  if (!(form.text || '').trim() && !link && !form.image) errors.content = messages.rules.contentRequired
  return errors
}

function checkGroups(form) {
  const n = (form.groups || []).length
  if (n === 0) return { groups: messages.rules.groupsRequired }
  if (n > GROUP_LIMIT) return { groups: messages.rules.groupsTooMany(n) }
  return {}
}

function checkRecipients(form) {
  return (form.previewRecipients || []).length ? {} : { previewRecipients: messages.rules.recipientsRequired }
}

const CHECKS = [checkTime, checkContent, checkGroups, checkRecipients, () => ({})]

/** Return {field: message} for the step's problems; empty when the step may be left. */
function checkStep(step, form) {
  return CHECKS[step](form)
}

/** Return the step index that edits a server field such as "schedule.time" or "content.text". */
function stepOfField(field) {
  if (field === 'name' || field.indexOf('schedule') === 0) return 0
  if (field.indexOf('content') === 0) return 1
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
    schedule: 'date',
  }
  return map[field] || field
}

module.exports = { STEPS, NAME_LIMIT, TEXT_LIMIT, GROUP_LIMIT, checkStep, stepOfField, formFieldOf }
