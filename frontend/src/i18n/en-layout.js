// English: phone and tablet layout, preview and submit on the task page, the live preview state (kept in step with zh-CN-layout.js).
export default {
  ui2: {
    menu: 'Menu', system: 'System', filters: 'Filters', whyFailed: 'Why it failed', selectTask: 'Select task {name}', more: 'More',
    nextDraft: 'A draft does not push; once submitted it pushes at the times below', nextPaused: 'Paused: nothing is pushed while paused',
    nextPausedUntil: 'Paused until {at}, then resumes by itself', nextNone: 'No next push',
    upcomingDraft: 'Push times once submitted', upcomingPaused: 'Push times once resumed', upcomingPausedUntil: 'Push times after it resumes at {at}',
    pushAgain: 'Push again', submit: 'Submit', submitted: 'Submitted: the task is scheduled',
    previewWaiting: 'Preview sent to {n} reviewer(s); waiting for their answer in WeChat…',
    previewConfirmedBy: '{name} approved the preview: you can submit now', previewModifyBy: '{name} asked for changes', previewDecided: 'The preview has an answer',
    field: { previewComment: 'Requested changes', previewState: 'Preview', deletedAt: 'Deleted at', feedbackEnabled: 'Collect feedback', nextFireAt: 'Next push', schedule_calendar: 'Work calendar' },
    reviewer: 'Reviewer', someone: 'Someone',
  },
}
