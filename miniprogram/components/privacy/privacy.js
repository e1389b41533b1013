// The privacy agreement (app.json __usePrivacyCheck__): when a privacy API such as wx.chooseMedia
// needs the user's consent, WeChat calls wx.onNeedPrivacyAuthorization; this popup shows the
// agreement and answers with the tap (agree must come from an agreePrivacyAuthorization button).
const i18n = require('../../utils/i18n')

Component({
  data: { t: i18n.t(), show: false, contractName: '' },
  lifetimes: {
    attached() {
      this.setData({ t: i18n.t() })
      if (typeof wx.onNeedPrivacyAuthorization !== 'function') return
      wx.onNeedPrivacyAuthorization((resolve, eventInfo) => {
        this.resolve = resolve
        this.setData({ show: true })
        if (typeof wx.getPrivacySetting === 'function') {
          wx.getPrivacySetting({ success: res => this.setData({ contractName: res.privacyContractName || '' }) })
        }
        this.eventInfo = eventInfo
      })
    },
  },
  methods: {
    openContract() {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({})
    },
    agree(e) {
      if (this.resolve) this.resolve({ event: 'agree', buttonId: (e && e.currentTarget && e.currentTarget.id) || 'agree-btn' })
      this.resolve = null
      this.setData({ show: false })
      this.triggerEvent('agree')
    },
    disagree() {
      if (this.resolve) this.resolve({ event: 'disagree' })
      this.resolve = null
      this.setData({ show: false })
      this.triggerEvent('disagree')
    },
  },
})
