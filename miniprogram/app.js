// The app itself holds no state: the API client keeps the session in storage, pages load their own data.
// A group's mini-program card carries ptl=<code> (its tracked link, issue 19): the open is reported once.
const api = require('./utils/api')

function reportOpen(options) {
  const code = options && options.query && options.query.ptl
  if (code) api.reportLinkOpen(code)
}

App({
  onLaunch(options) {
    const updates = wx.getUpdateManager && wx.getUpdateManager()
    if (updates) updates.onUpdateReady(() => updates.applyUpdate())
    reportOpen(options)
  },
  onShow(options) {
    reportOpen(options)
  },
})
