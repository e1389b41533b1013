import { describe, expect, it } from 'vitest'
import { nextPush, pushAction, upcomingHeading } from '../src/lib/taskState.js'
import { latestDecision } from '../src/composables/useTaskPreview.js'

const up = ['2031-03-03T08:00:00+08:00', '2031-03-05T08:00:00+08:00']

describe('next push and upcoming read as one story', () => {
  it('a scheduled task: the next push is the first upcoming time', () => {
    const task = { status: 'scheduled', nextFireAt: up[0], upcoming: up }
    expect(nextPush(task)).toEqual({ kind: 'at', at: up[0], until: null })
    expect(upcomingHeading(task)).toEqual({ key: 'detail.upcoming', at: null })
  })

  it('a draft: no next push, the upcoming times are those once submitted', () => {
    const task = { status: 'draft', nextFireAt: null, upcoming: up }
    expect(nextPush(task).kind).toBe('draft')
    expect(upcomingHeading(task).key).toBe('ui2.upcomingDraft')
  })

  it('a paused task: no next push while paused; upcoming is after it resumes', () => {
    const until = '2031-04-01T08:00:00+08:00'
    expect(nextPush({ status: 'paused', nextFireAt: null, upcoming: up, pausedUntil: until })).toEqual({ kind: 'paused', at: up[0], until })
    expect(upcomingHeading({ status: 'paused', upcoming: up, pausedUntil: until })).toEqual({ key: 'ui2.upcomingPausedUntil', at: until })
    expect(upcomingHeading({ status: 'paused', upcoming: up, pausedUntil: null }).key).toBe('ui2.upcomingPaused')
  })

  it('a finished task has none', () => {
    expect(nextPush({ status: 'completed', nextFireAt: null, upcoming: [] }).kind).toBe('none')
  })
})

describe('the push button a task leads with', () => {
  const groups = ['g1']
  it('is 立即推送 for a live task and 再次推送 for a finished one, none for drafts or viewers', () => {
    expect(pushAction({ status: 'scheduled', groups }, true)).toBe('now')
    expect(pushAction({ status: 'paused', groups }, true)).toBe('now')
    expect(pushAction({ status: 'completed', groups, schedule: { type: 'once' } }, true)).toBe('again')
    expect(pushAction({ status: 'failed', groups, nextFireAt: null }, true)).toBe('again')
    expect(pushAction({ status: 'failed', groups, nextFireAt: up[0] }, true)).toBe('now')
    expect(pushAction({ status: 'draft', groups }, true)).toBeNull()
    expect(pushAction({ status: 'scheduled', groups: [] }, true)).toBeNull()
    expect(pushAction({ status: 'scheduled', groups }, false)).toBeNull()
  })
})

describe('the preview banner on the edit page', () => {
  it('reads the newest preview and who decided it', () => {
    const previews = [
      {
        previewId: 'p2', status: 'modify_requested', stale: false, comment: '换一张图',
        recipients: [{ name: '王老师', status: 'sent' }],
        decisions: [{ name: '王老师', response: 'modify', comment: '换一张图' }],
      },
      { previewId: 'p1', status: 'confirmed', recipients: [], decisions: [] },
    ]
    expect(latestDecision(previews)).toEqual({ previewId: 'p2', status: 'modify_requested', name: '王老师', comment: '换一张图', sentTo: ['王老师'] })
    expect(latestDecision([{ previewId: 'p3', status: 'pending', stale: true, recipients: [], decisions: [] }]).status).toBe('stale')
    expect(latestDecision([])).toBeNull()
  })
})
