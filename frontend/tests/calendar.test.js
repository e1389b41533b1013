import { describe, expect, it } from 'vitest'
import { apiWindow, canRestore, canSkip, moveRequest, outcomeClass, toEvents, wallOf } from '../src/lib/calendar.js'

const NOW = Date.parse('2031-01-01T00:00:00Z')
const occ = (over = {}) => ({
  taskId: 't1', name: '周会提醒', fireAt: '2031-01-06T18:00:00+08:00', status: 'scheduled', priority: 'medium',
  pushId: null, outcome: 'planned', recurring: true, reason: null, reasonText: null, movedFrom: null, movedTo: null, unverified: false, ...over,
})

describe('calendar events', () => {
  it('draws an occurrence at its wall time in the task zone', () => {
    expect(wallOf('2031-01-06T18:00:00+08:00')).toBe('2031-01-06T18:00:00')
    const [e] = toEvents([occ()], { canWrite: true, nowMs: NOW })
    expect(e.start).toBe('2031-01-06T18:00:00')
    expect(e.startEditable).toBe(true)
  })

  it('keeps only the visible range and widens the API window by a day each side', () => {
    const start = new Date('2031-01-06T00:00:00Z')
    const end = new Date('2031-01-13T00:00:00Z')
    const events = toEvents([occ(), occ({ fireAt: '2031-01-13T01:00:00+08:00' })], { start, end, canWrite: true, nowMs: NOW })
    expect(events.map((e) => e.start)).toEqual(['2031-01-06T18:00:00'])
    expect(apiWindow(start, end)).toEqual({ from: '2031-01-05T00:00:00.000Z', to: '2031-01-14T00:00:00.000Z' })
  })

  it('names why a slot does not fire and does not let it be dragged', () => {
    const [e] = toEvents([occ({ outcome: 'skipped', reason: 'holiday', reasonText: '国庆节' })], { canWrite: true, nowMs: NOW })
    expect(e.title).toBe('国庆节 · 周会提醒')
    expect(e.startEditable).toBe(false)
    expect(e.classNames).toContain('cal-skipped')
  })

  it('colours by outcome, drafts apart', () => {
    expect(outcomeClass(occ({ status: 'draft' }))).toBe('cal-draft')
    expect(outcomeClass(occ({ outcome: 'failed' }))).toBe('cal-failed')
    expect(outcomeClass(occ({ outcome: 'completed' }))).toBe('cal-completed')
  })

  it('past pushes and viewers cannot move anything', () => {
    expect(toEvents([occ({ fireAt: '2030-12-01T18:00:00+08:00' })], { canWrite: true, nowMs: NOW })[0].startEditable).toBe(false)
    expect(toEvents([occ()], { canWrite: false, nowMs: NOW })[0].startEditable).toBe(false)
  })

  it('moves a one-off through the task update and a recurring push through its occurrence', () => {
    expect(moveRequest(occ({ recurring: false }), '2031-01-07T10:00:00')).toEqual({
      method: 'PUT', path: '/tasks/t1', body: { schedule: { time: '2031-01-07T10:00:00' } },
    })
    expect(moveRequest(occ(), '2031-01-07T10:00:00')).toEqual({
      method: 'POST', path: '/tasks/t1/occurrences/2031-01-06T18%3A00%3A00%2B08%3A00/move', body: { time: '2031-01-07T10:00:00' },
    })
  })

  it('offers skip on a planned recurring push and restore on a skipped or moved one, not on a holiday', () => {
    expect(canSkip(occ(), true, NOW)).toBe(true)
    expect(canSkip(occ({ recurring: false }), true, NOW)).toBe(false)
    expect(canRestore(occ({ outcome: 'skipped', reason: 'skipped' }), true, NOW)).toBe(true)
    expect(canRestore(occ({ outcome: 'skipped', reason: 'holiday' }), true, NOW)).toBe(false)
    expect(canRestore(occ({ movedFrom: '2031-01-05T18:00:00+08:00' }), true, NOW)).toBe(true)
  })
})
