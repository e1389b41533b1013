// Response bodies shaped like the server's (pushtask/schemas.py; preview per PRD §8.4 and issue 5).
function task(overrides) {
  return {
    taskId: 'task-1',
    name: '周一课程提醒',
    schedule: {
      type: 'recurring',
      time: '2026-03-09T18:00:00+08:00',
      timezone: 'Asia/Shanghai',
      recurringInterval: 'weekly',
      interval: 1,
      weekdays: [1],
      monthDay: null,
      recurringEnd: null,
      endAfter: null,
    },
    scheduleText: '每周一 18:00',
    content: { text: '今晚 8 点上课，请准时参加 😀', image: null, link: null, miniprogram: null },
    contentVersion: 1,
    groups: ['g1', 'g2', 'g3'],
    groupNames: ['一班家长群', '二班家长群', '三班家长群'],
    priority: 'medium',
    status: 'scheduled',
    creatorId: 'u1',
    creatorName: '奥尔加',
    previewRecipients: ['r1'],
    previewRecipientNames: ['张老师'],
    previewState: 'none',
    nextFireAt: '2026-03-09T10:00:00Z',
    pausedUntil: null,
    createdAt: '2026-03-01T00:00:00Z',
    updatedAt: '2026-03-01T00:00:00Z',
    ...overrides,
  }
}

function page(tasks, total, pageNo) {
  return { tasks, total: total === undefined ? tasks.length : total, page: pageNo || 1, limit: 20 }
}

const groups = {
  groups: [
    { groupId: 'g1', name: '一班家长群', channel: 'wecom_appchat', memberCount: 120 },
    { groupId: 'g2', name: '二班家长群', channel: 'wecom_robot', memberCount: 98 },
  ],
  total: 2,
}

const recipients = {
  recipients: [
    { recipientId: 'r1', name: '张老师', wechatId: 'zhang', channel: 'miniprogram' },
    { recipientId: 'r2', name: '李老师', wechatId: 'li', channel: 'wecom' },
  ],
  total: 2,
}

function preview(overrides) {
  return {
    previewId: 'pv-1',
    taskId: 'task-1',
    taskName: '周一课程提醒',
    state: 'pending',
    contentVersion: 3,
    content: {
      text: '今晚 8 点上课，请准时参加 😀',
      image: 'media-1',
      link: 'https://example.com/course',
      miniprogram: null,
    },
    ...overrides,
  }
}

module.exports = { task, page, groups, recipients, preview }
