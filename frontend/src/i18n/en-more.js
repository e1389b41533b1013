// English: previews, pushes, templates, notifications, feedback report (keep in step with zh-CN-more.js).
export default {
  nav2: { templates: 'Templates', feedback: 'Feedback report', notifySettings: 'Notifications' },
  media: {
    upload: 'Upload image', replace: 'Replace image', remove: 'Remove image', uploading: 'Uploading {p}%',
    uploaded: 'Uploaded {name}: {size} after compression ({w}×{h})', failed: 'Image upload failed: {msg}', hint: 'JPG / PNG, compressed to at most 2 MB after upload.',
  },
  pv: {
    send: 'Send preview', sending: 'Sending the preview…', sent: 'Preview sent to {n} reviewer(s); they confirm it in WeChat.',
    invalid: 'The content did not pass the checks; no preview was sent:', warnings: 'Note', checking: 'Checking…', ok: 'The chosen groups can carry this content',
    channelProblems: 'These groups’ channels cannot carry the content:', contentProblems: 'Content problems:', needReviewers: 'Choose preview reviewers first',
    needContent: 'Write the content first', savedDraft: 'Saved as a draft first',
    history: 'Previews', none: 'No preview has been sent yet', version: 'Content version {v}', stale: 'Content changed since', decisions: 'Decisions',
    reviewer: 'Reviewer', decision: 'Decision', comment: 'Comment', via: 'Via', at: 'At',
    confirm: 'Confirm', modify: 'Ask for changes', modifyTitle: 'Ask for changes', commentPlaceholder: 'What should change (optional)',
    confirmed: 'Preview confirmed', modifyRequested: 'Changes requested',
    state: { pending: 'Waiting', confirmed: 'Confirmed', modify_requested: 'Changes requested' },
    dec: { confirm: 'Confirmed', modify: 'Changes', waiting: 'Waiting' },
    rstatus: { sending: 'Sending', sent: 'Sent', failed: 'Failed', no_quota: 'No subscription quota', no_channel: 'No channel' },
    viaName: { api: 'Admin', card: 'Card', text: 'Text reply' },
  },
  push: {
    now: 'Push now', confirmNow: 'Push the current content of “{name}” to its {n} group(s) once now? (The schedule is unchanged.)', started: 'Push started',
    history: 'Pushes', none: 'No pushes yet', fireAt: 'Fired at', trigger: 'Trigger', status: 'Status', result: 'Result',
    summary: '{sent} / {total} sent, {failed} failed, {uncertain} uncertain', groups: 'Per group', group: 'Group', attempts: 'Attempts',
    error: 'Reason', sentAt: 'Sent at', resend: 'Resend', resendConfirm: 'Send the {n} failed and uncertain group(s) again?', resent: 'Resend queued for {n} group(s)',
    st: { running: 'Running', completed: 'Completed', failed: 'Failed', missed: 'Missed' },
    ds: { pending: 'Pending', sending: 'Sending', sent: 'Sent', failed: 'Failed', uncertain: 'Uncertain' },
    trig: { schedule: 'Schedule', manual: 'Manual', resend: 'Resend' },
  },
  tpl: {
    title: 'Templates', new: 'New template', name: 'Name', content: 'Content', builtin: 'Built-in', custom: 'Custom', readOnly: 'Built-in templates are read-only',
    empty: 'No templates yet', apply: 'Apply template', applyConfirm: 'Replace the current content with template “{name}”?', applied: 'Template applied', saveAs: 'Save as template',
    saveAsPrompt: 'Template name', saved: 'Template saved', deleteConfirm: 'Delete template “{name}”?', variablesHint: 'Variables: group name and date in double braces, filled per group at send time',
    nameRequired: 'Enter a template name', text: 'Text', image: 'Image', link: 'Link', use: 'New task from it',
  },
  notif: {
    bell: 'Notifications', empty: 'No notifications', markAll: 'Mark all read', unread: '{n} unread', settings: 'Notification settings', viewTask: 'Open task',
    settingsTitle: 'Notification settings', recipient: 'My WeChat identity', recipientHint: 'The preview reviewer that is you: notices go to that WeChat account.',
    channels: 'Channels (tried in order)', inbox: 'Admin inbox', mute: 'Mute reminders', muteHint: 'No reminder notices (e.g. previews waiting for you)',
    saved: 'Notification settings saved',
  },
  fb: {
    title: 'Feedback report', range: 'Period', pushes: 'Pushes', deliveries: 'Group deliveries', reached: 'Members reached', responses: 'Responses',
    rate: 'Interaction rate', perPush: 'Responses per push', avgRating: 'Average rating', byGroup: 'Interaction rate per group', overTime: 'Per day', ratings: 'Ratings',
    opinions: 'Common opinions', words: 'Frequent words', phrases: 'Frequent phrases', list: 'Answers', exportCsv: 'Export CSV', empty: 'No feedback in this period',
    group: 'Group', task: 'Task', user: 'Member', rating: 'Rating', content: 'Content', time: 'Time', star: '{n} star', exported: 'Exported {file}',
  },
}
