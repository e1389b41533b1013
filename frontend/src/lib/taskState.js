// How a task's next push and its main push action read, from the fields the API answers. The
// detail page's "下次推送" and "接下来的推送时间" both come from here, so they cannot disagree:
// the API's `upcoming` starts at `nextFireAt` when the task is scheduled; for a draft or a paused
// task (no `nextFireAt`) it lists the times it would push once submitted or resumed.

/** `{ kind: 'at' | 'draft' | 'paused' | 'none', at, until }` for a task from GET /api/tasks/<id>. */
export function nextPush(task) {
  const first = (task?.upcoming || [])[0] || null
  if (task?.nextFireAt) return { kind: 'at', at: task.nextFireAt, until: null }
  if (task?.status === 'draft') return { kind: 'draft', at: first, until: null }
  if (task?.status === 'paused') return { kind: 'paused', at: first, until: task.pausedUntil || null }
  return { kind: 'none', at: null, until: null }
}

/** The message key (and whether it takes `{at}`) heading the list of upcoming times. */
export function upcomingHeading(task) {
  const next = nextPush(task)
  if (next.kind === 'draft') return { key: 'ui2.upcomingDraft', at: null }
  if (next.kind === 'paused') return next.until ? { key: 'ui2.upcomingPausedUntil', at: next.until } : { key: 'ui2.upcomingPaused', at: null }
  return { key: 'detail.upcoming', at: null }
}

/**
 * The push-now button a task offers: null (a draft, or no groups), 'now' (the main action of a
 * live task) or 'again' (a finished task: a one-off that has pushed, an ended rule — pushing it
 * again is possible but not what the page leads with).
 */
export function pushAction(task, canWrite) {
  if (!canWrite || !task || task.status === 'draft' || !(task.groups || []).length) return null
  if (task.status === 'completed' || (task.status === 'failed' && !task.nextFireAt)) return 'again'
  return 'now'
}
