// Loads miniprogram-simulate (which installs its `wx` stand-in) and resets the parts tests drive:
// storage, network, navigation, wx.login and the subscription dialog. Each test answers wx.request
// with fixture responses (helpers.serve), which are checked against the server's OpenAPI document.
require('miniprogram-simulate')
const { violations } = require('./helpers')

beforeEach(() => {
  violations.length = 0
  const storage = new Map()
  Object.assign(global.wx, {
    getStorageSync: jest.fn(key => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: jest.fn((key, value) => storage.set(key, value)),
    removeStorageSync: jest.fn(key => storage.delete(key)),
    getAppBaseInfo: jest.fn(() => ({ language: 'zh_CN', theme: 'light' })),
    reLaunch: jest.fn(),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    navigateBack: jest.fn(),
    showToast: jest.fn(),
    showModal: jest.fn(options => options.success && options.success({ confirm: true, cancel: false })),
    stopPullDownRefresh: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    onNeedPrivacyAuthorization: jest.fn(),
    login: jest.fn(options => options.success && options.success({ code: 'wx-login-code' })),
    chooseMedia: jest.fn(options => options.success && options.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/cat.png', size: 2048 }] })),
    uploadFile: jest.fn(),
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

afterEach(() => {
  // A fixture or a request body that differs from the server's OpenAPI document fails the test.
  expect(violations).toEqual([])
})
