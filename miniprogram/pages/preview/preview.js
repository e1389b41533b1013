// The reviewer's page, opened from the preview's service notification (pages/preview/preview?previewId=…):
// the content as the groups will see it, the task name, and 确认 / 修改 with a comment.
const api = require('../../utils/api')
const config = require('../../config')
const messages = require('../../utils/messages')

function templateIds() {
  const ids = config.subscribeTemplateIds || {}
  return Object.keys(ids)
    .map(k => ids[k])
    .filter(Boolean)
}

Component({
  data: {
    t: messages,
    previewId: '',
    preview: null,
    content: {},
    imageUrl: '',
    senderName: config.senderName,
    stateText: '',
    open: false,
    comment: '',
    loading: false,
    busy: false,
    error: '',
    formError: '',
    outcome: '',
  },
  methods: {
    onLoad(query) {
      const previewId = query && query.previewId
      if (!previewId) {
        this.setData({ error: messages.preview.missingId })
        return Promise.resolve()
      }
      this.setData({ previewId, loading: true })
      return api
        .getPreview(previewId)
        .then(preview => this.show(preview))
        .catch(err => this.setData({ loading: false, error: err.message }))
    },
    show(preview) {
      const content = preview.content || {}
      const state = preview.state || 'pending'
      this.setData({
        loading: false,
        preview,
        content,
        imageUrl: content.image ? api.mediaUrl(content.image) : '',
        stateText: messages.preview.states[state] || state,
        open: state === 'pending',
        outcome: state === 'stale' ? messages.preview.stale : '',
      })
    },
    onComment(e) {
      this.setData({ comment: e.detail.value, formError: '' })
    },
    // WeChat only shows the subscription dialog from a tap, so ask here, before the network call.
    askForSubscription() {
      const tmplIds = templateIds()
      if (!tmplIds.length || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve()
      return new Promise(resolve => {
        wx.requestSubscribeMessage({ tmplIds, complete: () => resolve() })
      })
    },
    confirm() {
      return this.decide('confirm')
    },
    modify() {
      if (!this.data.comment.trim()) {
        this.setData({ formError: messages.preview.commentRequired })
        return Promise.resolve(false)
      }
      return this.decide('modify')
    },
    decide(response) {
      if (this.data.busy) return Promise.resolve(false)
      this.setData({ busy: true, formError: '' })
      const asked = this.askForSubscription()
      return asked
        .then(() => api.decidePreview(this.data.previewId, response, this.data.comment.trim()))
        .then(() => {
          const state = response === 'confirm' ? 'confirmed' : 'modify_requested'
          this.setData({
            busy: false,
            open: false,
            stateText: messages.preview.states[state],
            outcome: response === 'confirm' ? messages.preview.confirmed : messages.preview.modifyRequested,
          })
          return true
        })
        .catch(err => {
          this.setData({ busy: false, formError: err.message })
          return false
        })
    },
  },
})
