// Sign in with WeChat ID and password (POST /api/auth/login); then back to where the user was sent from.
const api = require('../../utils/api')
const messages = require('../../utils/messages')

Component({
  data: { t: messages, wechatId: '', password: '', errors: {}, error: '', busy: false, redirect: '' },
  methods: {
    onLoad(query) {
      this.setData({ redirect: query && query.redirect ? decodeURIComponent(query.redirect) : '' })
    },
    onWechatId(e) {
      this.setData({ wechatId: e.detail.value, 'errors.wechatId': '' })
    },
    onPassword(e) {
      this.setData({ password: e.detail.value, 'errors.password': '' })
    },
    submit() {
      const wechatId = this.data.wechatId.trim()
      const errors = {}
      if (!wechatId) errors.wechatId = messages.login.wechatIdRequired
      if (!this.data.password) errors.password = messages.login.passwordRequired
      this.setData({ errors, error: '' })
      if (Object.keys(errors).length || this.data.busy) return Promise.resolve()
      this.setData({ busy: true })
      return api
        .login(wechatId, this.data.password)
        .then(() => {
          this.setData({ busy: false, password: '' })
          wx.reLaunch({ url: this.data.redirect || '/pages/tasks/tasks' })
        })
        .catch(err => {
          const error = err.status === 401 ? messages.login.failed : err.message
          this.setData({ busy: false, error })
        })
    },
  },
})
