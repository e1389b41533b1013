const { serve, renderPage, text, tap, type, TOKEN } = require('./helpers')

function loginOk() {
  return { data: { token: TOKEN, expiresAt: '2026-03-02T02:00:00Z', user: { id: 'u1', name: '奥尔加' } } }
}

describe('the sign-in page', () => {
  test('refuses empty fields without calling the server', async () => {
    const calls = serve({})
    const page = renderPage('login')
    page.instance.onLoad({})

    await tap(page, '.submit')

    expect(text(page, '.error-wechat-id')).toBe('请输入微信号')
    expect(text(page, '.error-password')).toBe('请输入密码')
    expect(calls).toHaveLength(0)
  })

  test('signs in and opens the task list', async () => {
    const calls = serve({ 'POST /api/auth/login': loginOk })
    const page = renderPage('login')
    page.instance.onLoad({})
    await type(page, '.wechat-id', ' olga ')
    await type(page, '.password', 'secret-pass')

    await tap(page, '.submit')

    expect(calls[0].data).toEqual({ wechatId: 'olga', password: 'secret-pass' })
    expect(wx.getStorageSync('pushtask.token')).toBe(TOKEN)
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/tasks/tasks' })
  })

  test('returns to the page that asked for sign-in', async () => {
    serve({ 'POST /api/auth/login': loginOk })
    const page = renderPage('login')
    page.instance.onLoad({ redirect: encodeURIComponent('/pages/preview/preview?previewId=p1') })
    await type(page, '.wechat-id', 'olga')
    await type(page, '.password', 'secret-pass')

    await tap(page, '.submit')

    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/preview/preview?previewId=p1' })
  })

  test('says so when the password is wrong', async () => {
    serve({ 'POST /api/auth/login': () => ({ status: 401, data: { error: 'Invalid credentials' } }) })
    const page = renderPage('login')
    page.instance.onLoad({})
    await type(page, '.wechat-id', 'olga')
    await type(page, '.password', 'wrong')

    await tap(page, '.submit')

    expect(text(page, '.form-error')).toBe('微信号或密码错误，请重新输入')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })
})
