// A task read-only (pages/task/task?id=…; notices link here): schedule, content with its picture,
// groups and reviewers, the latest push's result per group, and the change log. Running, completed
// and failed tasks can only be read; the others offer 编辑.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const { nextFireText } = require('../../utils/format')

const EDITABLE = ['draft', 'scheduled', 'paused']

function localTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = n => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function logLine(entry, m) {
  const fields = Object.keys(entry.changes || {})
    .map(k => {
      const change = entry.changes[k] || {}
      // The server names an image by its file name (imageName) where it knows one.
      if (k === 'content.image') return `${m.task.image}: ${change.new || '—'}`
      return m.task.fields[k] || m.task.fields[k.split('.')[0]] || k
    })
    .join('、')
  return {
    id: entry.logId,
    title: `${entry.userName} ${m.task.actions[entry.action] || entry.action}`,
    detail: fields,
    time: localTime(entry.timestamp),
  }
}

Component({
  data: {
    t: i18n.t(),
    taskId: '',
    task: null,
    statusText: '',
    readOnlyText: '',
    editable: false,
    nextText: '',
    imageUrl: '',
    groups: [],
    reviewers: '',
    result: null,
    resultText: '',
    deliveries: [],
    log: [],
    loading: false,
    error: '',
  },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.setData({ t: m, taskId: (query && query.id) || '' })
      wx.setNavigationBarTitle({ title: m.task.title })
      if (!api.getToken()) {
        wx.reLaunch({ url: `/pages/login/login?redirect=${encodeURIComponent(`/pages/task/task?id=${this.data.taskId}`)}` })
        return Promise.resolve()
      }
      return this.load()
    },
    onShow() {
      return this.data.task ? this.load() : Promise.resolve()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    load() {
      const m = this.data.t
      const id = this.data.taskId
      this.setData({ loading: true, error: '' })
      return Promise.all([api.getTask(id), api.taskPushes(id), api.taskLogs(id)])
        .then(([task, pushes, logs]) => {
          const latest = pushes.pushes[0] || task.lastResult
          const statusText = m.status[task.status] || task.status
          this.setData({
            task,
            statusText,
            editable: EDITABLE.indexOf(task.status) >= 0,
            readOnlyText: EDITABLE.indexOf(task.status) >= 0 ? '' : m.task.readOnly(statusText),
            nextText: nextFireText(task.nextFireAt, new Date()),
            imageUrl: task.content.imageUrl || '',
            groups: task.groupsDetail,
            reviewers: task.recipientsDetail.map(r => r.name).join('、'),
            result: latest || null,
            resultText: latest ? m.task.resultSummary(latest.sentCount, latest.total, latest.failedCount) : '',
            log: logs.map(entry => logLine(entry, m)),
          })
          return latest ? api.getPush(latest.pushId) : null
        })
        .then(detail => {
          const m2 = this.data.t
          const deliveries = detail
            ? detail.groups.map(g => ({
                groupId: g.groupId,
                name: g.groupName,
                state: g.state,
                stateText: m2.task.deliveryStates[g.state] || g.state,
                error: g.error || '',
              }))
            : []
          this.setData({ deliveries, loading: false })
        })
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    edit() {
      wx.navigateTo({ url: `/pages/edit/edit?id=${encodeURIComponent(this.data.taskId)}` })
    },
  },
})
