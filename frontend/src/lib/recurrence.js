// Say a task's schedule in words ("每周一、周三 18:00", "Every Mon, Wed at 18:00").
// The server sends `scheduleText`; this is the fallback and the live text under the form.
import { instantToWall, formatInZone, isoWeekday } from './time.js'

/**
 * Describe `schedule` with the i18n function `t` (keys under `rule.*`).
 * `schedule.time` is an ISO instant; its wall time in `schedule.timezone` gives the clock time.
 * Options: `zone` — append the zone name.
 */
export function describeSchedule(schedule, t, { zone = false } = {}) {
  if (!schedule || !schedule.time) return t('rule.unset')
  const tz = schedule.timezone || 'UTC'
  const wall = instantToWall(schedule.time, tz)
  if (!wall) return t('rule.unset')
  const time = wall.slice(11, 16)
  let text
  if (schedule.type !== 'recurring') {
    text = t('rule.once', { at: formatInZone(schedule.time, tz) })
  } else {
    const n = Number.isInteger(schedule.interval) && schedule.interval > 1 ? schedule.interval : 1
    const unit = schedule.recurringInterval || 'daily'
    if (unit === 'weekly') {
      const days = normaliseWeekdays(schedule.weekdays, wall)
      const names = days.map((d) => t(`rule.weekday.${d}`)).join(t('rule.listSep'))
      text = n === 1 ? t('rule.weekly', { days: names, time }) : t('rule.weeklyN', { n, days: names, time })
    } else if (unit === 'monthly') {
      const day = schedule.monthDay || +wall.slice(8, 10)
      text = n === 1 ? t('rule.monthly', { day, time }) : t('rule.monthlyN', { n, day, time })
    } else {
      text = n === 1 ? t('rule.daily', { time }) : t('rule.dailyN', { n, time })
    }
    if (schedule.endAfter) text += t('rule.endAfter', { n: schedule.endAfter })
    else if (schedule.recurringEnd) text += t('rule.until', { date: formatInZone(schedule.recurringEnd, tz).slice(0, 10) })
  }
  if (zone) text += ` (${tz})`
  return text
}

/** Sorted, unique ISO weekdays; the weekday of the first fire when none are given. */
export function normaliseWeekdays(weekdays, wall) {
  const list = [...new Set((weekdays || []).map(Number).filter((d) => d >= 1 && d <= 7))].sort()
  if (list.length) return list
  const d = isoWeekday(wall)
  return d ? [d] : []
}
