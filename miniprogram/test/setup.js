// Loads miniprogram-simulate (which installs its `wx` stand-in) and resets the parts tests drive:
// storage, network and navigation. Each test then answers wx.request with fixture responses.
require('miniprogram-simulate')

beforeEach(() => {
  const storage = new Map()
  Object.assign(global.wx, {
    getStorageSync: jest.fn(key => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: jest.fn((key, value) => storage.set(key, value)),
    removeStorageSync: jest.fn(key => storage.delete(key)),
    reLaunch: jest.fn(),
    navigateTo: jest.fn(),
    navigateBack: jest.fn(),
    showToast: jest.fn(),
    showModal: jest.fn(options => options.success && options.success({ confirm: true, cancel: false })),
    stopPullDownRefresh: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    login: jest.fn(options => options.success && options.success({ code: 'wx-login-code' })),
    requestSubscribeMessage: jest.fn(options => {
      const res = { errMsg: 'requestSubscribeMessage:ok' }
      options.tmplIds.forEach(id => {
        res[id] = 'accept'
      })
      if (options.success) options.success(res)
      if (options.complete) options.complete(res)
    }),
  })
  global.wx.request = jest.fn(() => {
    throw new Error('wx.request called without fixtures: use serve() in the test')
  })
  delete global.getCurrentPages
})
