// English: the calendar (issue 18). Keep in step with zh-CN-planner.js.
export default {
  nav3: { calendar: 'Calendar' },
  cal: {
    title: 'Push calendar', month: 'Month', week: 'Week', day: 'Day', today: 'Today', prev: 'Previous', next: 'Next',
    zoneNote: "Times are shown in each task's own time zone. Drag a push to move it to another day or time.",
    legend: { planned: 'Planned', draft: 'Draft (pushes once submitted)', completed: 'Completed', partial: 'Partly sent', failed: 'Failed', missed: 'Missed', running: 'Sending', skipped: 'Not pushed (skipped / holiday / moved)' },
    outcome: {
      planned: 'Planned', skipped: 'Not pushed', moved: 'Moved', running: 'Sending', completed: 'Completed', partial: 'Partly sent',
      failed: 'Failed', missed: 'Missed', cancelled: 'Cancelled',
    },
    truncated: 'More than 5,000 pushes in this range: only the first 5,000 are shown; narrow it with the filters.',
    loadFailed: 'Could not load the calendar: {msg}',
    moveTitle: 'Move push',
    moveOnce: "A one-off task: its push time will be changed to the new time.",
    moveRecurring: 'A recurring task: only this push moves; the rule and the other pushes stay as they are.',
    moveFrom: 'From', moveTo: 'To', zone: 'Time zone',
    moveDraft: 'This task is a draft: it pushes only once it is submitted.',
    approvalNone: 'Only the time changes, not the content: a confirmed preview stays valid. If the server asks for a new approval, the reason is shown here and the time is not changed.',
    moveConfirm: 'Move', moved: 'Moved to {time}', moveFailed: 'Not moved',
    clash: 'Conflict: the task already pushes at that time. Drop it on another time.',
    occurrence: 'This push', openTask: 'Open task', skip: 'Skip this push', restore: 'Restore this push',
    skipped: 'Push skipped', restored: 'Push restored', reason: 'Why', movedFrom: 'Was at', movedTo: 'Moved to',
    push: 'Push record', unverified: "That year's public holidays are not published yet: pushes follow the rule",
    skipHint: 'Only this push; the rule and the other pushes stay.', restoreHint: 'It pushes at its own time again.',
  },
}
