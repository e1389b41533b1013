// The feedback form (the PRD's 反馈链接): opened from a push with a signed token naming task and group;
// a rating and a comment; no sign-in. The server keeps one answer per member and token.
const api = require('../../utils/api')
const messages = require('../../utils/messages')
const { countChars } = require('../../utils/format')

const TEXT_LIMIT = 500

Component({
  data: {
    t: messages,
    token: '',
    stars: [1, 2, 3, 4, 5].map(value => ({ value })),
    rating: 0,
    text: '',
    busy: false,
    error: '',
    formError: '',
    done: '',
  },
  methods: {
    onLoad(query) {
      const token = query && query.token ? decodeURIComponent(query.token) : ''
      this.setData(token ? { token } : { error: messages.feedback.missingToken })
    },
    rate(e) {
      this.setData({ rating: Number(e.currentTarget.dataset.value), formError: '' })
    },
    onText(e) {
      this.setData({ text: e.detail.value, formError: '' })
    },
    submit() {
      const text = this.data.text.trim()
      if (!this.data.rating && !text) {
        this.setData({ formError: messages.feedback.empty })
        return Promise.resolve(false)
      }
      if (countChars(text) > TEXT_LIMIT) {
        this.setData({ formError: messages.feedback.tooLong })
        return Promise.resolve(false)
      }
      if (this.data.busy) return Promise.resolve(false)
      this.setData({ busy: true, formError: '' })
      return api
        .submitFeedback({ token: this.data.token, rating: this.data.rating || null, text })
        .then(() => {
          this.setData({ busy: false, done: messages.feedback.thanks })
          return true
        })
        .catch(err => {
          if (err.status === 409) this.setData({ busy: false, done: messages.feedback.duplicate })
          else if (err.status === 401) this.setData({ busy: false, error: messages.feedback.expired })
          else this.setData({ busy: false, formError: err.message })
          return false
        })
    },
  },
})
