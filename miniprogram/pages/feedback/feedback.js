// The feedback form, opened from the link in a push (pages/feedback/feedback?ptfb=<signed token>): a
// rating and a comment. The token names the task and group; the member is who WeChat says (wx.login →
// POST /api/auth/wechat gives a member token, whose memberId the server uses: one answer per member).
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const { countChars } = require('../../utils/format')

const TEXT_LIMIT = 500

Component({
  data: {
    t: i18n.t(),
    token: '',
    rating: 0,
    text: '',
    busy: false,
    error: '',
    formError: '',
    done: '',
  },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.setData({ t: m })
      wx.setNavigationBarTitle({ title: m.feedback.title })
      const token = query && query.ptfb ? decodeURIComponent(query.ptfb) : ''
      this.setData(token ? { token } : { error: m.feedback.missingToken })
    },
    onRate(e) {
      this.setData({ rating: Number(e.detail), formError: '' })
    },
    onText(e) {
      this.setData({ text: e.detail, formError: '' })
    },
    submit() {
      const m = this.data.t
      const text = this.data.text.trim()
      if (!this.data.rating && !text) {
        this.setData({ formError: m.feedback.empty })
        return Promise.resolve(false)
      }
      if (countChars(text) > TEXT_LIMIT) {
        this.setData({ formError: m.feedback.tooLong })
        return Promise.resolve(false)
      }
      if (this.data.busy) return Promise.resolve(false)
      this.setData({ busy: true, formError: '' })
      return api
        .submitFeedback({ token: this.data.token, rating: this.data.rating || null, text })
        .then(body => {
          this.setData({ busy: false, done: body.duplicate ? m.feedback.duplicate : m.feedback.thanks })
          return true
        })
        .catch(err => {
          if (err.status === 401 && err.body && err.body.reason) this.setData({ busy: false, error: err.body.reason })
          else if (err.status === 401) this.setData({ busy: false, error: m.feedback.expired })
          else this.setData({ busy: false, formError: err.message })
          return false
        })
    },
  },
})
