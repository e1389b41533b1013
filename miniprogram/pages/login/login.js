// Sign in. 微信一键登录 (wx.login → POST /api/auth/wechat) lets in an operator who bound their WeChat, a
// reviewer (a directory recipient with this openid) or a group member; the scope decides where they go.
// An operator signs in with WeChat ID and password once, then binds WeChat (绑定微信) here.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')

const HOME = { operator: '/pages/tasks/tasks', reviewer: '/pages/reviewer/reviewer' }

Component({
  data: { t: i18n.t(), wechatId: '', password: '', errors: {}, error: '', note: '', busy: false, redirect: '', offerBind: false },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.setData({ t: m, redirect: query && query.redirect ? decodeURIComponent(query.redirect) : '' })
      wx.setNavigationBarTitle({ title: m.login.title })
    },
    goOn(scope) {
      const redirect = this.data.redirect
      // Reviewers may only open preview pages; members none of the signed-in pages.
      if (scope === 'operator') wx.reLaunch({ url: redirect || HOME.operator })
      else if (scope === 'reviewer') wx.reLaunch({ url: redirect.indexOf('/pages/preview/') === 0 ? redirect : HOME.reviewer })
      else this.setData({ note: this.data.t.login.memberOnly })
    },
    wechat() {
      if (this.data.busy) return Promise.resolve()
      this.setData({ busy: true, error: '', note: '' })
      return api
        .signInWithWechat()
        .then(session => {
          this.setData({ busy: false })
          this.goOn(session.scope)
        })
        .catch(err => this.setData({ busy: false, error: err.message }))
    },
    onWechatId(e) {
      this.setData({ wechatId: e.detail, 'errors.wechatId': '' })
    },
    onPassword(e) {
      this.setData({ password: e.detail, 'errors.password': '' })
    },
    submit() {
      const m = this.data.t
      const wechatId = this.data.wechatId.trim()
      const errors = {}
      if (!wechatId) errors.wechatId = m.login.wechatIdRequired
      if (!this.data.password) errors.password = m.login.passwordRequired
      this.setData({ errors, error: '' })
      if (Object.keys(errors).length || this.data.busy) return Promise.resolve()
      this.setData({ busy: true })
      return api
        .login(wechatId, this.data.password)
        .then(() => api.wechatBinding().catch(() => ({ bound: true })))
        .then(binding => {
          this.setData({ busy: false, password: '' })
          // Not bound yet: offer 绑定微信 so the next sign-in needs no password.
          if (!binding.bound) this.setData({ offerBind: true })
          else this.goOn('operator')
        })
        .catch(err => this.setData({ busy: false, error: err.status === 401 ? m.login.failed : err.message }))
    },
    bind() {
      const m = this.data.t
      this.setData({ busy: true, error: '' })
      return api
        .bindWechat()
        .then(() => {
          this.setData({ busy: false })
          wx.showToast({ title: m.login.bound, icon: 'success' })
          this.goOn('operator')
        })
        .catch(err => this.setData({ busy: false, error: err.message }))
    },
    later() {
      this.goOn('operator')
    },
    switchLanguage() {
      i18n.setLang(i18n.lang() === 'en' ? 'zh-CN' : 'en')
      this.setData({ t: i18n.t() })
      wx.setNavigationBarTitle({ title: i18n.t().login.title })
    },
  },
})
