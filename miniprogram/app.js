// The app itself holds no state: the API client keeps the session in storage, pages load their own data.
App({
  onLaunch() {
    const updates = wx.getUpdateManager && wx.getUpdateManager()
    if (updates) updates.onUpdateReady(() => updates.applyUpdate())
  },
})
