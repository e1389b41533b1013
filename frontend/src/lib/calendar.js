// The calendar's pure parts: occurrences from GET /api/calendar as FullCalendar events, the API
// window for a visible range, and what a drop means. Times are shown as wall time in each task's
// own zone: FullCalendar runs in UTC and an event's start is the occurrence's wall time read as
// UTC, so 18:00 in Asia/Shanghai is drawn at 18:00 whatever the browser's zone; a drop's wall time
// is sent without an offset, which the server reads in the task's zone.

const DAY_MS = 24 * 60 * 60 * 1000
const FIRED = ['running', 'completed', 'partial', 'failed', 'missed', 'cancelled']

/** "2031-01-06T18:00:00+08:00" → "2031-01-06T18:00:00" (the wall time in the task's zone). */
export function wallOf(fireAt) {
  return String(fireAt || '').slice(0, 19)
}

/** The wall time of a FullCalendar Date (UTC-based) as "YYYY-MM-DDTHH:mm:ss". */
export function wallOfDate(date) {
  return date.toISOString().slice(0, 19)
}

/** A wall time for people: "2031-01-06 18:00". */
export function showWall(wall) {
  return String(wall || '').slice(0, 16).replace('T', ' ')
}

/**
 * The API window for a visible range [start, end) (UTC-based Dates): a day either side, because a
 * task's wall time can be up to 14 h away from UTC. Both ends are ISO 8601 instants.
 */
export function apiWindow(start, end) {
  return {
    from: new Date(start.getTime() - DAY_MS).toISOString(),
    to: new Date(end.getTime() + DAY_MS).toISOString(),
  }
}

/** Whether an occurrence can be dragged: a planned push that has not happened yet. */
export function isMovable(occ, canWrite, nowMs = Date.now()) {
  return !!canWrite && occ.outcome === 'planned' && Date.parse(occ.fireAt) > nowMs
}

/** Whether an occurrence can be skipped, or restored (a skip or a move undone). */
export function canSkip(occ, canWrite, nowMs = Date.now()) {
  return isMovable(occ, canWrite, nowMs) && occ.recurring
}
export function canRestore(occ, canWrite, nowMs = Date.now()) {
  if (!canWrite || !occ.recurring || Date.parse(occ.fireAt) <= nowMs) return false
  return (occ.outcome === 'skipped' && occ.reason === 'skipped') || occ.outcome === 'moved' || (occ.outcome === 'planned' && !!occ.movedFrom)
}

/** The colour class of an occurrence: its outcome, a planned draft apart. */
export function outcomeClass(occ) {
  if (occ.outcome === 'planned') return occ.status === 'draft' ? 'cal-draft' : 'cal-planned'
  if (occ.outcome === 'skipped' || occ.outcome === 'moved') return 'cal-skipped'
  if (FIRED.includes(occ.outcome)) return `cal-${occ.outcome}`
  return 'cal-planned'
}

/** FullCalendar events for the occurrences whose wall time falls in [start, end). */
export function toEvents(occurrences, { start, end, canWrite, nowMs = Date.now() } = {}) {
  const lo = start ? wallOfDate(start) : ''
  const hi = end ? wallOfDate(end) : '\uffff'
  const out = []
  for (const occ of occurrences || []) {
    const wall = wallOf(occ.fireAt)
    if (wall < lo || wall >= hi) continue
    const notFiring = occ.outcome === 'skipped' || occ.outcome === 'moved'
    out.push({
      id: `${occ.taskId}@${occ.fireAt}@${occ.outcome}`,
      // Why first: a narrow cell cuts the end of the line.
      title: notFiring && occ.reasonText ? `${occ.reasonText} · ${occ.name}` : occ.name,
      start: wall,
      allDay: false,
      startEditable: !notFiring && isMovable(occ, canWrite, nowMs),
      durationEditable: false,
      classNames: ['cal-event', outcomeClass(occ)],
      extendedProps: { occ },
    })
  }
  return out
}

/** What a drop asks the server to do: a one-off's task update, or a recurring task's single move. */
export function moveRequest(occ, newWall) {
  if (occ.recurring) {
    return {
      method: 'POST',
      path: `/tasks/${encodeURIComponent(occ.taskId)}/occurrences/${encodeURIComponent(occ.fireAt)}/move`,
      body: { time: newWall },
    }
  }
  return { method: 'PUT', path: `/tasks/${encodeURIComponent(occ.taskId)}`, body: { schedule: { time: newWall } } }
}
