import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from '../src/i18n/zh-CN.js'
import en from '../src/i18n/en.js'
import { describeSchedule } from '../src/lib/recurrence.js'

const tFor = (locale) => createI18n({ legacy: false, locale, messages: { 'zh-CN': zhCN, en } }).global.t
const zh = tFor('zh-CN')
const enT = tFor('en')
const base = { type: 'recurring', timezone: 'Asia/Shanghai', interval: 1 }
// 2025-06-09 is a Monday; 18:00 in Shanghai is 10:00Z.
const mon18 = '2025-06-09T10:00:00Z'

describe('describeSchedule', () => {
  it('says a weekly rule in Chinese like the PRD', () => {
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'weekly', weekdays: [1] }, zh)).toBe('每周一 18:00')
  })

  it('lists several weekdays in ISO order', () => {
    const s = { ...base, time: mon18, recurringInterval: 'weekly', weekdays: [5, 1, 3] }
    expect(describeSchedule(s, zh)).toBe('每周一、周三、周五 18:00')
    expect(describeSchedule(s, enT)).toBe('Every Mon, Wed, Fri at 18:00')
  })

  it('falls back to the weekday of the first push when none are given', () => {
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'weekly', weekdays: [] }, zh)).toBe('每周一 18:00')
  })

  it('shows the clock time in the task zone, not the browser zone', () => {
    const s = { type: 'recurring', timezone: 'America/Los_Angeles', time: '2025-06-10T01:00:00Z', recurringInterval: 'weekly', weekdays: [1], interval: 1 }
    expect(describeSchedule(s, zh, { zone: true })).toBe('每周一 18:00 (America/Los_Angeles)')
  })

  it('says intervals, daily and monthly rules', () => {
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'daily' }, zh)).toBe('每天 18:00')
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'daily', interval: 3 }, enT)).toBe('Every 3 days at 18:00')
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'weekly', interval: 2, weekdays: [1] }, zh)).toBe('每 2 周的周一 18:00')
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'monthly', monthDay: 31 }, zh)).toBe('每月 31 日 18:00')
    expect(describeSchedule({ ...base, time: mon18, recurringInterval: 'monthly', monthDay: 15, interval: 2 }, enT)).toBe('Every 2 months on day 15 at 18:00')
  })

  it('says how a rule ends', () => {
    const s = { ...base, time: mon18, recurringInterval: 'weekly', weekdays: [1] }
    expect(describeSchedule({ ...s, endAfter: 10 }, zh)).toBe('每周一 18:00，共 10 次')
    expect(describeSchedule({ ...s, recurringEnd: '2025-12-31T15:59:59Z' }, zh)).toBe('每周一 18:00，至 2025-12-31')
    expect(describeSchedule({ ...s, recurringEnd: '2025-12-31T15:59:59Z' }, enT)).toBe('Every Mon at 18:00, until 2025-12-31')
  })

  it('says a one-off push with its date', () => {
    expect(describeSchedule({ type: 'once', timezone: 'Asia/Shanghai', time: mon18 }, zh)).toBe('单次 2025-06-09 18:00')
    expect(describeSchedule({ type: 'once', timezone: 'Asia/Shanghai', time: mon18 }, enT)).toBe('Once at 2025-06-09 18:00')
  })

  it('says when no time is set', () => {
    expect(describeSchedule({ type: 'once' }, zh)).toBe('未设置时间')
    expect(describeSchedule(null, enT)).toBe('No time set')
  })
})
