// The reviewer's page, opened from the preview notice (pages/preview/preview?id=<previewId>): the
// content as the groups will see it, the task name (content.name), whether it is still open, stale or
// decided and by whom, and 确认 / 修改. The tap first asks WeChat for the next one-time subscription
// (only a tap may) and records what the reviewer answered, so the next preview can reach them.
const api = require('../../utils/api')
const config = require('../../config')
const i18n = require('../../utils/i18n')

function localTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = n => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getMonth() + 1}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** Ask for the preview notice's subscription on a tap; resolve with {templateIds, result} or null. */
function askForSubscription(templateId) {
  if (!templateId || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve(null)
  return new Promise(resolve => {
    wx.requestSubscribeMessage({
      tmplIds: [templateId],
      success: result => resolve({ templateIds: [templateId], result }),
      fail: () => resolve(null),
    })
  })
}

Component({
  data: {
    t: i18n.t(),
    previewId: '',
    preview: null,
    content: {},
    name: '',
    imageUrl: '',
    senderName: config.senderName,
    status: '',
    statusText: '',
    variantText: '',
    stale: false,
    open: false,
    decisions: [],
    comment: '',
    loading: false,
    busy: false,
    error: '',
    formError: '',
    outcome: '',
    subscribeNote: '',
  },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.setData({ t: m })
      wx.setNavigationBarTitle({ title: m.preview.title })
      // Notices link ?id=; older ones ?previewId=.
      const previewId = (query && (query.id || query.previewId)) || ''
      if (!previewId) {
        this.setData({ error: m.preview.missingId })
        return Promise.resolve()
      }
      this.setData({ previewId, loading: true })
      // A reviewer opening a notice is signed in with WeChat alone (wx.login → a reviewer token).
      const session = api.getSession()
      const ready = session && (session.scope === 'reviewer' || session.scope === 'operator') ? Promise.resolve(session) : api.signInWithWechat()
      return ready
        .then(() => this.load())
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    onShow() {
      return this.data.preview ? this.load() : Promise.resolve()
    },
    load() {
      const session = api.getSession()
      // A reviewer's subscription template comes from the server (the one its notices use).
      const mine =
        session && session.scope === 'reviewer' && !this.serverTemplate
          ? api.myPreviews().then(out => {
              this.serverTemplate = out.subscription.templateId || ''
            })
          : Promise.resolve()
      return Promise.all([api.getPreview(this.data.previewId), mine.catch(() => null)]).then(([preview]) => this.show(preview))
    },
    show(preview) {
      const m = this.data.t
      const content = preview.content || {}
      const stale = !!preview.stale && preview.status === 'pending'
      this.setData({
        loading: false,
        preview,
        content,
        name: content.name || '',
        imageUrl: content.imageUrl || '',
        status: stale ? 'stale' : preview.status,
        statusText: m.preview.states[stale ? 'stale' : preview.status] || preview.status,
        variantText: preview.variant ? m.preview.variant(preview.variant) : '',
        stale,
        open: preview.status === 'pending' && !preview.stale,
        decisions: (preview.decisions || []).map((d, i) => ({
          key: i,
          text: m.preview.decidedBy(d.name, m.preview.responses[d.response] || d.response),
          comment: d.comment || '',
          time: localTime(d.timestamp),
        })),
        outcome: stale ? m.preview.stale : this.data.outcome,
      })
    },
    onComment(e) {
      this.setData({ comment: e.detail, formError: '' })
    },
    confirm() {
      return this.decide('confirm')
    },
    modify() {
      if (!this.data.comment.trim()) {
        this.setData({ formError: this.data.t.preview.commentRequired })
        return Promise.resolve(false)
      }
      return this.decide('modify')
    },
    /** Record the subscription answer (reviewers only); say whether the next preview can reach them. */
    recordAnswer(answer) {
      const m = this.data.t
      const session = api.getSession()
      if (!answer || !session || session.scope !== 'reviewer') return Promise.resolve()
      return api
        .recordSubscription(answer.templateIds, answer.result)
        .then(out => this.setData({ subscribeNote: out.granted ? m.preview.subscribed : m.preview.subscribeRejected }))
        .catch(() => this.setData({ subscribeNote: m.preview.subscribeRejected }))
    },
    decide(response) {
      if (this.data.busy) return Promise.resolve(false)
      const m = this.data.t
      this.setData({ busy: true, formError: '' })
      return askForSubscription(this.templateId())
        .then(answer => this.recordAnswer(answer))
        .then(() => api.decidePreview(this.data.previewId, response, this.data.comment.trim()))
        .then(() => {
          this.setData({ busy: false, outcome: response === 'confirm' ? m.preview.confirmed : m.preview.modifyRequested })
          return this.load().then(() => true)
        })
        .catch(err => {
          this.setData({ busy: false, formError: err.message })
          // 409: decided by someone else, or stale since: show what the server has now.
          if (err.status === 409) return this.load().then(() => false)
          return false
        })
    },
    templateId() {
      return this.serverTemplate || (config.subscribeTemplateIds || {}).preview || ''
    },
    myPreviews() {
      wx.navigateTo({ url: '/pages/reviewer/reviewer' })
    },
  },
})
