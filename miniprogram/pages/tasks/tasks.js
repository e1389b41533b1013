// The task list: cards with every PRD filter (status, time, group, creator, reviewer, name), pull to
// refresh, paging, and Vant swipe cells for 暂停 / 恢复 / 复制 / 删除. Each load carries a sequence
// number: an answer to an older filter never overwrites a newer one's.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const { nextFireText } = require('../../utils/format')
const Dialog = require('@vant/weapp/dialog/dialog').default

const PAGE_SIZE = 20
const STATUS_VALUES = ['', 'draft', 'scheduled', 'running', 'paused', 'completed', 'failed']
const PERIODS = ['', 'today', 'week', 'month']
// Running, finished and failed tasks open read-only; the rest open the step form.
const READ_ONLY = ['running', 'completed', 'failed']

function card(task, now, m) {
  return {
    taskId: task.taskId,
    name: task.name,
    status: task.status,
    statusText: m.status[task.status] || task.status,
    nextText: nextFireText(task.nextFireAt, now),
    groupText: m.tasks.groupCount((task.groups || []).length),
    scheduleText: task.scheduleText || '',
    creatorName: task.creatorName,
    priority: task.priority,
    priorityText: m.priority[task.priority] || '',
    // The server's rules: pause what will still push, resume what is paused, delete drafts and paused tasks.
    canPause: ['scheduled', 'running'].indexOf(task.status) >= 0 || (task.status === 'failed' && !!task.nextFireAt),
    canResume: task.status === 'paused',
    canDelete: ['draft', 'paused'].indexOf(task.status) >= 0,
  }
}

/** [startTime, endTime) of a period, as the instants the server compares with the next push time. */
function periodRange(period, now) {
  if (!period) return {}
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  const days = { today: 1, week: 7, month: 30 }[period]
  const end = new Date(start.getTime() + days * 86400000)
  return { startTime: start.toISOString(), endTime: end.toISOString() }
}

Component({
  data: {
    t: i18n.t(),
    filters: { status: '', period: '', groupId: '', creatorId: '', recipientId: '' },
    statusOptions: [],
    periodOptions: [],
    groupOptions: [],
    creatorOptions: [],
    recipientOptions: [],
    q: '',
    tasks: [],
    total: 0,
    page: 0,
    loading: false,
    finished: false,
    error: '',
  },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.seq = 0
      this.setData({
        t: m,
        statusOptions: STATUS_VALUES.map(value => ({ value, text: m.status[value] })),
        periodOptions: PERIODS.map(value => ({ value, text: m.tasks.periods[value] })),
      })
      wx.setNavigationBarTitle({ title: m.tasks.title })
      const session = api.getSession()
      if (session && session.scope === 'reviewer') {
        wx.reLaunch({ url: '/pages/reviewer/reviewer' })
        return Promise.resolve()
      }
      if (!session || session.scope !== 'operator') {
        // Reviewers and members have their own pages; the list is for operators.
        const back = query && query.id ? `/pages/task/task?id=${query.id}` : '/pages/tasks/tasks'
        wx.reLaunch({ url: `/pages/login/login?redirect=${encodeURIComponent(back)}` })
        return Promise.resolve()
      }
      // Old notice links (pages/tasks/tasks?id=…) open the task itself.
      if (query && query.id) wx.navigateTo({ url: `/pages/task/task?id=${encodeURIComponent(query.id)}` })
      this.loaded = true
      return Promise.all([this.refresh(), this.loadChoices()])
    },
    onShow() {
      // Back from the form or the task page: show what changed there.
      if (this.loaded && this.stale) {
        this.stale = false
        return this.refresh()
      }
      return Promise.resolve()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      if (this.data.finished || this.data.loading || this.data.error) return Promise.resolve()
      return this.load(this.data.page + 1)
    },

    /** Choices for the group, creator and reviewer filters. */
    loadChoices() {
      const m = this.data.t
      const all = { value: '', text: m.status[''] }
      const user = api.getUser()
      const creators = [all]
      if (user) creators.push({ value: user.id, text: m.tasks.mine })
      const users =
        user && user.role === 'admin'
          ? api.listUsers().then(body => body.users.filter(u => u.id !== user.id).map(u => ({ value: u.id, text: u.name })))
          : Promise.resolve([])
      return Promise.all([
        api.listGroups().then(body => body.groups.map(g => ({ value: g.groupId, text: g.name }))),
        api.listRecipients().then(body => body.recipients.map(r => ({ value: r.recipientId, text: r.name }))),
        users.catch(() => []),
      ])
        .then(([groups, recipients, others]) =>
          this.setData({
            groupOptions: [all].concat(groups),
            recipientOptions: [all].concat(recipients),
            creatorOptions: creators.concat(others),
          }),
        )
        .catch(err => this.setData({ error: err.message }))
    },

    refresh() {
      return this.load(1)
    },
    query(page) {
      const f = this.data.filters
      return {
        page,
        limit: PAGE_SIZE,
        status: f.status,
        groupId: f.groupId,
        creatorId: f.creatorId,
        recipientId: f.recipientId,
        q: this.data.q.trim(),
        ...periodRange(f.period, new Date()),
      }
    },
    load(page) {
      this.seq += 1
      const seq = this.seq
      this.setData({ loading: true, error: '' })
      return api
        .listTasks(this.query(page))
        .then(body => {
          if (seq !== this.seq) return // a newer filter's answer is (or will be) shown
          const now = new Date()
          const fresh = body.tasks.map(task => card(task, now, this.data.t))
          const tasks = page === 1 ? fresh : this.data.tasks.concat(fresh)
          this.setData({
            tasks,
            total: body.total,
            page,
            loading: false,
            finished: tasks.length >= body.total || fresh.length < PAGE_SIZE,
          })
        })
        .catch(err => {
          if (seq === this.seq) this.setData({ loading: false, error: err.message })
        })
    },
    onFilter(e) {
      this.setData({ [`filters.${e.currentTarget.dataset.filter}`]: e.detail })
      return this.refresh()
    },
    onQuery(e) {
      this.setData({ q: e.detail })
    },
    search(e) {
      if (e && typeof e.detail === 'string') this.setData({ q: e.detail })
      return this.refresh()
    },
    clearSearch() {
      this.setData({ q: '' })
      return this.refresh()
    },

    open(e) {
      const { id, status } = e.currentTarget.dataset
      this.stale = true
      const page = READ_ONLY.indexOf(status) >= 0 ? 'task/task' : 'edit/edit'
      wx.navigateTo({ url: `/pages/${page}?id=${encodeURIComponent(id)}` })
    },
    create() {
      this.stale = true
      wx.navigateTo({ url: '/pages/edit/edit' })
    },
    act(promise, done) {
      return promise
        .then(() => {
          wx.showToast({ title: done, icon: 'success' })
          return this.refresh()
        })
        .catch(err => {
          wx.showToast({ title: err.message, icon: 'none', duration: 3000 })
        })
    },
    pause(e) {
      return this.act(api.pauseTask(e.currentTarget.dataset.id), this.data.t.tasks.paused)
    },
    resume(e) {
      return this.act(api.resumeTask(e.currentTarget.dataset.id), this.data.t.tasks.resumed)
    },
    copy(e) {
      return this.act(api.copyTask(e.currentTarget.dataset.id), this.data.t.tasks.copied)
    },
    remove(e) {
      const { id, name } = e.currentTarget.dataset
      const m = this.data.t
      return Dialog.confirm({
        context: this,
        selector: '#dialog',
        title: m.tasks.deleteConfirmTitle,
        message: m.tasks.deleteConfirm(name),
        confirmButtonText: m.tasks.delete,
        cancelButtonText: m.common.cancel,
        confirmButtonColor: '#ee0a24',
      })
        .then(() => this.act(api.deleteTask(id), m.tasks.deleted))
        .catch(() => null)
    },
  },
})
