// The task list: cards, pull to refresh, infinite scroll, status filter and search, swipe for actions.
const api = require('../../utils/api')
const messages = require('../../utils/messages')
const { nextFireText } = require('../../utils/format')

const PAGE_SIZE = 20
const SWIPE_PX = 50
const STATUS_VALUES = ['', 'draft', 'scheduled', 'running', 'paused', 'completed', 'failed']

function card(task, now) {
  return {
    taskId: task.taskId,
    name: task.name,
    status: task.status,
    statusText: messages.status[task.status] || task.status,
    nextText: nextFireText(task.nextFireAt, now),
    groupText: messages.tasks.groupCount((task.groups || []).length),
    scheduleText: task.scheduleText || '',
    // The server's rules: pause what will still push, resume what is paused, delete drafts and paused tasks.
    canPause: ['scheduled', 'running'].indexOf(task.status) >= 0 || (task.status === 'failed' && !!task.nextFireAt),
    canResume: task.status === 'paused',
    canDelete: ['draft', 'paused'].indexOf(task.status) >= 0,
  }
}

Component({
  data: {
    t: messages,
    statusOptions: STATUS_VALUES.map(value => ({ value, label: messages.status[value] })),
    status: '',
    q: '',
    tasks: [],
    total: 0,
    page: 0,
    loading: false,
    finished: false,
    error: '',
    swipedId: '',
  },
  methods: {
    onLoad() {
      if (!api.getToken()) {
        wx.reLaunch({ url: '/pages/login/login' })
        return Promise.resolve()
      }
      return this.refresh()
    },
    onShow() {
      // Coming back from the edit page: show what changed there.
      if (this.data.page > 0 && this.stale) {
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
    refresh() {
      this.setData({ swipedId: '' })
      return this.load(1)
    },
    load(page) {
      this.setData({ loading: true, error: '' })
      const query = { page, limit: PAGE_SIZE, status: this.data.status, q: this.data.q.trim() }
      return api
        .listTasks(query)
        .then(body => {
          const now = new Date()
          const fresh = body.tasks.map(task => card(task, now))
          const tasks = page === 1 ? fresh : this.data.tasks.concat(fresh)
          this.setData({
            tasks,
            total: body.total,
            page,
            loading: false,
            finished: tasks.length >= body.total || fresh.length < PAGE_SIZE,
          })
        })
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    chooseStatus(e) {
      this.setData({ status: e.currentTarget.dataset.status })
      return this.refresh()
    },
    onQuery(e) {
      this.setData({ q: e.detail.value })
    },
    search() {
      return this.refresh()
    },
    touchStart(e) {
      const touch = (e.touches || [])[0] || {}
      this.touchX = touch.clientX || 0
    },
    touchEnd(e) {
      const touch = (e.changedTouches || [])[0] || {}
      const dx = (touch.clientX || 0) - (this.touchX || 0)
      const id = e.currentTarget.dataset.id
      if (dx <= -SWIPE_PX) this.setData({ swipedId: id })
      else if (dx >= SWIPE_PX && this.data.swipedId === id) this.setData({ swipedId: '' })
      this.swiping = Math.abs(dx) >= SWIPE_PX
    },
    open(e) {
      if (this.swiping) {
        this.swiping = false
        return
      }
      if (this.data.swipedId) {
        this.setData({ swipedId: '' })
        return
      }
      this.stale = true
      wx.navigateTo({ url: `/pages/edit/edit?id=${e.currentTarget.dataset.id}` })
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
      return this.act(api.pauseTask(e.currentTarget.dataset.id), messages.tasks.paused)
    },
    resume(e) {
      return this.act(api.resumeTask(e.currentTarget.dataset.id), messages.tasks.resumed)
    },
    copy(e) {
      return this.act(api.copyTask(e.currentTarget.dataset.id), messages.tasks.copied)
    },
    remove(e) {
      const { id, name } = e.currentTarget.dataset
      return new Promise(resolve => {
        wx.showModal({
          title: messages.tasks.deleteConfirmTitle,
          content: messages.tasks.deleteConfirm(name),
          confirmColor: '#f54a45',
          success: res => resolve(res.confirm ? this.act(api.deleteTask(id), messages.tasks.deleted) : null),
          fail: () => resolve(null),
        })
      })
    },
  },
})
