// Response bodies as the server sends them. Every one is checked against the server's OpenAPI document
// (test/openapi/snapshot.json) when a fixture route answers with it, so these cannot drift from the server.
function schedule(overrides) {
  return {
    type: 'recurring',
    time: '2026-03-09T18:00:00+08:00',
    timezone: 'Asia/Shanghai',
    recurringInterval: 'weekly',
    interval: 1,
    weekdays: [1],
    monthDay: null,
    recurringEnd: null,
    endAfter: null,
    ...overrides,
  }
}

function content(overrides) {
  return { text: '今晚 8 点上课，请准时参加 😀', image: null, link: null, miniprogram: null, ...overrides }
}

function task(overrides) {
  return {
    taskId: 'task-1',
    name: '周一课程提醒',
    schedule: schedule(),
    scheduleText: '每周一 18:00',
    content: content(),
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
    feedbackEnabled: false,
    ...overrides,
  }
}

function push(overrides) {
  return {
    pushId: 'push-1',
    taskId: 'task-1',
    status: 'completed',
    trigger: 'schedule',
    fireAt: '2026-03-09T10:00:00Z',
    sentGroups: ['g1', 'g2'],
    failedGroups: [{ groupId: 'g3', error: '机器人已被移出群聊' }],
    uncertainGroups: [],
    awaitingGroups: [],
    unconfirmedGroups: [],
    awaitingOwners: [],
    total: 3,
    sentCount: 2,
    failedCount: 1,
    uncertainCount: 0,
    awaitingCount: 0,
    unconfirmedCount: 0,
    cancelledCount: 0,
    missedCount: 0,
    contentVersion: 1,
    timestamp: '2026-03-09T10:00:00Z',
    firstSentAt: '2026-03-09T10:00:01Z',
    finishedAt: '2026-03-09T10:00:05Z',
    ...overrides,
  }
}

function delivery(groupId, groupName, state, error) {
  return {
    groupId,
    groupName,
    channel: 'wecom_appchat',
    state,
    attempts: state === 'failed' ? 3 : 1,
    errcode: state === 'failed' ? 86008 : null,
    error: error || null,
    firstAttemptAt: '2026-03-09T10:00:01Z',
    lastAttemptAt: '2026-03-09T10:00:01Z',
    requestSent: true,
    sentAt: state === 'sent' ? '2026-03-09T10:00:02Z' : null,
    detail: null,
    externalRef: null,
    owner: null,
    ownerName: null,
    deadlineAt: null,
    reminders: 0,
    remindRefused: null,
  }
}

function pushDetail() {
  return {
    ...push(),
    groups: [
      delivery('g1', '一班家长群', 'sent'),
      delivery('g2', '二班家长群', 'sent'),
      delivery('g3', '三班家长群', 'failed', '机器人已被移出群聊'),
    ],
  }
}

function taskDetail(overrides) {
  return {
    ...task(overrides),
    groupsDetail: [
      { groupId: 'g1', name: '一班家长群', channel: 'wecom_appchat' },
      { groupId: 'g2', name: '二班家长群', channel: 'wecom_robot' },
      { groupId: 'g3', name: '三班家长群', channel: 'wecom_appchat' },
    ],
    recipientsDetail: [{ recipientId: 'r1', name: '张老师', wechatId: 'zhang', channel: 'miniprogram' }],
    upcoming: ['2026-03-16T10:00:00Z'],
    lastResult: (overrides && overrides.lastResult) || null,
  }
}

function page(tasks, total, pageNo) {
  return { tasks, total: total === undefined ? tasks.length : total, page: pageNo || 1, limit: 20 }
}

const groups = {
  groups: [
    { groupId: 'g1', name: '一班家长群', channel: 'wecom_appchat', memberCount: 120 },
    { groupId: 'g2', name: '二班家长群', channel: 'wecom_robot', memberCount: 98 },
    { groupId: 'g3', name: '三班家长群', channel: 'wecom_appchat', memberCount: 101 },
  ],
  total: 3,
}

const recipients = {
  recipients: [
    { recipientId: 'r1', name: '张老师', wechatId: 'zhang', channel: 'miniprogram' },
    { recipientId: 'r2', name: '李老师', wechatId: 'li', channel: 'wecom' },
  ],
  total: 2,
}

const users = {
  users: [
    { id: 'u1', wechatId: 'olga', name: '奥尔加', role: 'admin', createdAt: '2026-01-01T00:00:00Z' },
    { id: 'u2', wechatId: 'wang', name: '王老师', role: 'operator', createdAt: '2026-01-01T00:00:00Z' },
  ],
  total: 2,
}

const templates = [
  { templateId: 'tpl-1', name: '上课提醒', content: { text: '{{群名}}的家长：今晚 8 点上课', image: null, imageUrl: null, imageName: null }, builtin: true },
  {
    templateId: 'tpl-2',
    name: '活动海报',
    content: { text: '本周六亲子活动', image: 'b'.repeat(64), imageUrl: 'http://127.0.0.1:8000/api/media/poster?sig=x', imageName: 'poster.png' },
    builtin: false,
  },
]

const logs = [
  {
    logId: 'log-2',
    taskId: 'task-1',
    action: 'update',
    userId: 'u1',
    userName: '奥尔加',
    timestamp: '2026-03-02T08:00:00Z',
    changes: { 'content.text': { old: '旧文本', new: '今晚 8 点上课，请准时参加 😀' }, 'content.image': { old: null, new: 'cat.png' } },
  },
  { logId: 'log-1', taskId: 'task-1', action: 'create', userId: 'u1', userName: '奥尔加', timestamp: '2026-03-01T00:00:00Z', changes: {} },
]

const user = { id: 'u1', wechatId: 'olga', name: '奥尔加', role: 'operator', orgId: 'o1', orgName: '示例学校' }

function login(overrides) {
  return { token: 'fresh.token.value', expiresAt: '2099-01-01T00:00:00Z', scope: 'operator', user, ...overrides }
}

function preview(overrides) {
  return {
    previewId: 'pv-1',
    taskId: 'task-1',
    contentVersion: 3,
    content: {
      name: '周一课程提醒',
      text: '今晚 8 点上课，请准时参加 😀',
      image: 'media-1',
      link: 'https://example.com/course',
      miniprogram: null,
      timezone: 'Asia/Shanghai',
    },
    status: 'pending',
    stale: false,
    comment: null,
    createdAt: '2026-03-08T02:00:00Z',
    decidedAt: null,
    recipients: [{ recipientId: 'r1', name: '张老师', channel: 'miniprogram', status: 'sent', decision: null, message: null }],
    decisions: [],
    ...overrides,
  }
}

function previewSent(overrides) {
  return {
    previewId: 'pv-1',
    validation: { isValid: true, errors: [] },
    recipients: [{ recipientId: 'r1', name: '张老师', channel: 'miniprogram', status: 'sent', decision: null, message: null }],
    warnings: [],
    ...overrides,
  }
}

const media = {
  mediaId: 'a'.repeat(64),
  width: 800,
  height: 600,
  bytes: 20480,
  sha256: 'a'.repeat(64),
  mime: 'image/png',
  url: `http://127.0.0.1:8000/api/media/${'a'.repeat(64)}?org=o1&exp=1773100000&sig=c2lnbmF0dXJl`,
  urlExpiresAt: '2026-03-10T00:00:00Z',
  fileName: 'cat.png',
}

function signInOut(scope, overrides) {
  const who = {
    operator: { user },
    reviewer: { reviewer: { recipientId: 'r1', name: '张老师', orgId: 'o1', orgName: '示例学校' } },
    member: { memberId: 'm-3f9a1c' },
  }[scope]
  return { token: `${scope}.token.value`, expiresAt: '2099-01-01T00:00:00Z', scope, ...who, ...overrides }
}

function myPreviews(overrides) {
  return {
    reviewer: { recipientId: 'r1', name: '张老师', orgId: 'o1', orgName: '示例学校' },
    subscription: { templateId: 'tmpl-preview', remaining: 0, needsSubscribe: true },
    pending: 1,
    previews: [preview()],
    ...overrides,
  }
}

module.exports = {
  schedule,
  content,
  task,
  taskDetail,
  push,
  pushDetail,
  page,
  groups,
  recipients,
  users,
  templates,
  logs,
  user,
  login,
  preview,
  previewSent,
  media,
  signInOut,
  myPreviews,
}
