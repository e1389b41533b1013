// A reviewer's own page (pages/reviewer/reviewer): their previews, and the place to subscribe to the
// preview notice without having received one. WeChat lets a mini program notify someone only after a
// one-time subscription made on a tap; each accepted subscription lets one notice through.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')

Component({
  data: {
    t: i18n.t(),
    hello: '',
    pendingText: '',
    subscription: null,
    remainingText: '',
    previews: [],
    loading: false,
    busy: false,
    error: '',
    note: '',
  },
  methods: {
    onLoad() {
      const m = i18n.t()
      this.setData({ t: m })
      wx.setNavigationBarTitle({ title: m.reviewer.title })
      const session = api.getSession()
      const ready = session && session.scope === 'reviewer' ? Promise.resolve(session) : api.signInWithWechat()
      this.setData({ loading: true })
      return ready
        .then(s => {
          if (s.scope !== 'reviewer') {
            this.setData({ loading: false, error: s.scope === 'operator' ? '' : m.login.memberOnly })
            if (s.scope === 'operator') wx.reLaunch({ url: '/pages/tasks/tasks' })
            return null
          }
          return this.load()
        })
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    onShow() {
      return this.loaded ? this.load() : Promise.resolve()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    load() {
      const m = this.data.t
      return api
        .myPreviews()
        .then(out => {
          this.loaded = true
          this.setData({
            loading: false,
            error: '',
            hello: m.reviewer.hello(out.reviewer.name),
            pendingText: m.reviewer.pending(out.pending),
            subscription: out.subscription,
            remainingText: m.reviewer.remaining(out.subscription.remaining),
            previews: out.previews.map(p => {
              const stale = p.stale && p.status === 'pending'
              const state = stale ? 'stale' : p.status
              return { previewId: p.previewId, name: p.content.name || '', state, stateText: m.preview.states[state] }
            }),
          })
        })
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    /** On the tap: ask WeChat, send what the reviewer answered to the server, show the outcome. */
    subscribe() {
      const m = this.data.t
      const templateId = this.data.subscription && this.data.subscription.templateId
      if (!templateId) {
        this.setData({ note: m.reviewer.noTemplate })
        return Promise.resolve(false)
      }
      this.setData({ busy: true, note: '' })
      return new Promise(resolve => {
        wx.requestSubscribeMessage({
          tmplIds: [templateId],
          success: result => resolve(result),
          fail: err => resolve({ errMsg: (err && err.errMsg) || 'requestSubscribeMessage:fail', [templateId]: 'reject' }),
        })
      })
        .then(result => api.recordSubscription([templateId], result))
        .then(out => {
          this.setData({
            busy: false,
            note: out.granted ? m.reviewer.granted : m.reviewer.rejected,
            subscription: { templateId: out.templateId, remaining: out.remaining, needsSubscribe: out.needsSubscribe },
            remainingText: m.reviewer.remaining(out.remaining),
          })
          return out.granted > 0
        })
        .catch(err => {
          this.setData({ busy: false, note: err.message })
          return false
        })
    },
    open(e) {
      wx.navigateTo({ url: `/pages/preview/preview?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
  },
})
