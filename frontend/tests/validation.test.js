import { describe, expect, it } from 'vitest'
import { validateTask, isHttpUrl } from '../src/lib/validation.js'
import { emptyForm, formToPayload, mergeRows, taskActions, taskToForm } from '../src/lib/taskForm.js'

const NOW = Date.parse('2025-06-01T00:00:00Z')
function validForm() {
  const f = emptyForm()
  f.name = '周一课程提醒'
  f.schedule.time = '2025-06-10T18:00:00'
  f.content.text = '今晚 8 点上课'
  f.groups = ['g1']
  return f
}
const fields = (problems) => problems.map((p) => `${p.field}:${p.key}`)

describe('validateTask', () => {
  it('accepts a complete one-off task', () => {
    expect(validateTask(validForm(), 'submit', NOW)).toEqual([])
  })

  it('requires a name of at most 50 characters, counted as graphemes', () => {
    const f = validForm()
    f.name = '  '
    expect(fields(validateTask(f, 'draft', NOW))).toContain('name:v.nameRequired')
    f.name = '👨‍👩‍👧‍👦'.repeat(50)
    expect(validateTask(f, 'submit', NOW)).toEqual([])
    f.name += 'a'
    expect(fields(validateTask(f, 'submit', NOW))).toEqual(['name:v.nameTooLong'])
  })

  it('lets a draft go without content or groups but not a submission', () => {
    const f = emptyForm()
    f.name = 'draft'
    expect(fields(validateTask(f, 'draft', NOW))).toEqual(['schedule.time:v.timeRequired'])
    f.schedule.time = '2025-05-01T09:00:00' // a draft may even be in the past
    expect(validateTask(f, 'draft', NOW)).toEqual([])
    f.schedule.time = ''
    expect(fields(validateTask(f, 'submit', NOW))).toEqual([
      'schedule.time:v.timeRequired', 'content.text:v.contentEmpty', 'groups:v.groupsRequired',
    ])
  })

  it('rejects a one-off time that has passed in the task zone', () => {
    const f = validForm()
    f.schedule.time = '2025-06-01T07:59:00' // 23:59Z the day before, in Shanghai
    expect(fields(validateTask(f, 'submit', NOW))).toEqual(['schedule.time:v.timeInPast'])
    f.schedule.time = '2025-06-01T08:01:00'
    expect(validateTask(f, 'submit', NOW)).toEqual([])
  })

  it('checks the text limit of 500 graphemes', () => {
    const f = validForm()
    f.content.text = '🇨🇳'.repeat(500)
    expect(validateTask(f, 'submit', NOW)).toEqual([])
    f.content.text += '!'
    expect(fields(validateTask(f, 'submit', NOW))).toEqual(['content.text:v.textTooLong'])
  })

  it('checks recurring rules', () => {
    const f = validForm()
    Object.assign(f.schedule, { type: 'recurring', recurringInterval: 'weekly', weekdays: [], interval: 0, endMode: 'count', endAfter: 0 })
    expect(fields(validateTask(f, 'submit', NOW))).toEqual([
      'schedule.interval:v.intervalInvalid', 'schedule.weekdays:v.weekdaysRequired', 'schedule.endAfter:v.endAfterInvalid',
    ])
    Object.assign(f.schedule, { recurringInterval: 'monthly', monthDay: 32, interval: 1, endMode: 'date', recurringEnd: '2025-06-01' })
    expect(fields(validateTask(f, 'submit', NOW))).toEqual(['schedule.monthDay:v.monthDayInvalid', 'schedule.recurringEnd:v.endBeforeStart'])
  })

  it('checks links and mini-program cards', () => {
    const f = validForm()
    f.content.link = 'example.com/a'
    f.content.miniprogram = { appid: 'wx123', pagePath: 'https://x.y/z', title: '' }
    expect(fields(validateTask(f, 'submit', NOW))).toEqual([
      'content.link:v.linkInvalid', 'content.miniprogram.appid:v.appidInvalid', 'content.miniprogram.pagePath:v.pagePathInvalid',
    ])
    f.content.link = 'https://example.com/a'
    f.content.miniprogram = { appid: 'wx0123456789abcdef', pagePath: 'pages/index/index?id=1', title: '课程' }
    expect(validateTask(f, 'submit', NOW)).toEqual([])
    expect(isHttpUrl('javascript:alert(1)')).toBe(false)
  })

  it('limits groups to 100', () => {
    const f = validForm()
    f.groups = Array.from({ length: 101 }, (_, i) => `g${i}`)
    expect(fields(validateTask(f, 'draft', NOW))).toEqual(['groups:v.groupsTooMany'])
  })
})

describe('form ↔ API', () => {
  it('sends a weekly rule with an offset time and an end date at the end of that day', () => {
    const f = validForm()
    f.groups = ['g1', 'g2', 'g3']
    Object.assign(f.schedule, { type: 'recurring', time: '2025-06-09T18:00:00', timezone: 'America/Los_Angeles', recurringInterval: 'weekly', weekdays: [3, 1], interval: 1, endMode: 'date', recurringEnd: '2025-12-31' })
    const body = formToPayload(f, 'scheduled')
    expect(body.schedule).toEqual({
      type: 'recurring', time: '2025-06-09T18:00:00-07:00', timezone: 'America/Los_Angeles', recurringInterval: 'weekly',
      interval: 1, weekdays: [1, 3], recurringEnd: '2025-12-31T23:59:59-08:00', endAfter: null,
    })
    expect(body.status).toBe('scheduled')
    expect(body.content).toEqual({ text: '今晚 8 点上课', image: null, link: null, miniprogram: null })
  })

  it('round-trips a task through the form', () => {
    const task = {
      name: 'x', priority: 'high', groups: ['a'], previewRecipients: ['r'],
      schedule: { type: 'recurring', time: '2025-06-09T10:00:00Z', timezone: 'Asia/Shanghai', recurringInterval: 'monthly', interval: 2, monthDay: 9, endAfter: 5, recurringEnd: null },
      content: { text: 't', image: null, link: 'https://a.b', miniprogram: { appid: 'wx0123456789abcdef', pagePath: 'p/i', title: 'T' } },
    }
    const f = taskToForm(task)
    expect(f.schedule.time).toBe('2025-06-09T18:00:00')
    expect(f.schedule.endMode).toBe('count')
    const body = formToPayload(f, 'draft')
    expect(body.schedule).toMatchObject({ time: '2025-06-09T18:00:00+08:00', monthDay: 9, interval: 2, endAfter: 5, recurringEnd: null })
    expect(body.content.miniprogram).toEqual({ appid: 'wx0123456789abcdef', pagePath: 'p/i', title: 'T' })
  })

  it('offers actions by status and role', () => {
    expect(taskActions({ status: 'draft' }, 'operator')).toMatchObject({ edit: true, delete: true, pause: false, resume: false })
    expect(taskActions({ status: 'scheduled' }, 'operator')).toMatchObject({ delete: false, pause: true })
    expect(taskActions({ status: 'paused' }, 'admin')).toMatchObject({ delete: true, resume: true })
    expect(taskActions({ status: 'paused' }, 'viewer')).toEqual({ edit: false, delete: false, pause: false, resume: false, copy: false })
  })

  it('updates rows in place when the same tasks come back, so selection survives polling', () => {
    const rows = [{ taskId: 'a', status: 'scheduled' }, { taskId: 'b', status: 'draft' }]
    const same = mergeRows(rows, [{ taskId: 'a', status: 'running' }, { taskId: 'b', status: 'draft' }])
    expect(same).toBe(rows)
    expect(rows[0].status).toBe('running')
    const other = [{ taskId: 'c' }]
    expect(mergeRows(rows, other)).toBe(other)
  })
})
