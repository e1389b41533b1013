// A group's mini-program card opens a page with ptl=<code>: the app reports the open once (issue 19).
const path = require('path')
const api = require('../utils/api')
const { serve, settle } = require('./helpers')

function launchApp() {
  let definition = null
  global.App = options => {
    definition = options
  }
  jest.isolateModules(() => require(path.join(__dirname, '..', 'app.js')))
  return definition
}

describe('tracked links', () => {
  test('opening the card reports its code once, naming a signed-in member', async () => {
    wx.setStorageSync('pushtask.session', {
      token: 'member.token',
      expiresAt: new Date(Date.now() + 8 * 3600 * 1000).toISOString(),
      scope: 'member',
      memberId: 'm-amy',
      user: null,
      reviewer: null,
    })
    const calls = serve({ 'POST /api/links/:code/open': () => ({ data: { counted: true } }) })
    const app = launchApp()
    app.onLaunch({ path: 'pages/feedback/feedback', query: { ptfb: 'tok', ptl: 'Ab3dE5gH9jK1' } })
    app.onShow({ path: 'pages/feedback/feedback', query: { ptfb: 'tok', ptl: 'Ab3dE5gH9jK1' } })
    await settle()
    expect(calls.map(c => [c.method, c.path, c.data])).toEqual([
      ['POST', '/api/links/Ab3dE5gH9jK1/open', { memberId: 'm-amy' }],
    ])
  })

  test('without a code, or with a malformed one, nothing is sent; a refused report does not throw', async () => {
    const calls = serve({ 'POST /api/links/:code/open': () => ({ status: 404, data: { error: 'Link not found' } }) })
    const app = launchApp()
    app.onLaunch({ path: 'pages/tasks/tasks', query: {} })
    app.onLaunch({ path: 'pages/tasks/tasks', query: { ptl: '../../x' } })
    await settle()
    expect(calls).toEqual([])
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {})
    await expect(api.reportLinkOpen('Zz9yY8xX7wW6')).resolves.toBe(false)
    expect(warn).toHaveBeenCalled()
    warn.mockRestore()
    expect(calls.map(c => c.data)).toEqual([{}])
  })
})
