const { serve, signIn, renderPage, settle, text, texts, fire } = require('./helpers')
const fixtures = require('./fixtures')

async function open(routes, signedIn) {
  if (signedIn !== false) signIn({ scope: 'reviewer', user: null, reviewer: fixtures.signInOut('reviewer').reviewer })
  const calls = serve(routes)
  const page = renderPage('reviewer')
  await page.instance.onLoad({})
  await settle()
  return { page, calls }
}

describe('the reviewer’s page', () => {
  test('a first-time reviewer signs in with WeChat and subscribes without having received a notice', async () => {
    let remaining = 0
    const { page, calls } = await open(
      {
        'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('reviewer') }),
        'GET /api/me/previews': () => ({ data: fixtures.myPreviews({ previews: [], pending: 0, subscription: { templateId: 'tmpl-preview', remaining, needsSubscribe: remaining === 0 } }) }),
        'POST /api/me/subscriptions': () => {
          remaining = 1
          return { data: { templateId: 'tmpl-preview', granted: 1, remaining: 1, needsSubscribe: false } }
        },
      },
      false,
    )
    expect(calls[0].path).toBe('/api/auth/wechat')
    expect(text(page, '.hello')).toBe('张老师，您好')
    expect(text(page, '.needs-subscribe')).toContain('您还没有订阅')
    expect(text(page, '.remaining')).toBe('可接收 0 次通知')
    expect(page.querySelector('.empty')).not.toBeNull()

    await fire(page, '.subscribe', 'click')
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['tmpl-preview'] }))
    expect(calls.find(c => c.path === '/api/me/subscriptions').data.result['tmpl-preview']).toBe('accept')
    expect(text(page, '.note')).toBe('已订阅，下一次预览会通知您')
    expect(text(page, '.remaining')).toBe('可接收 1 次通知')
    expect(page.querySelector('.needs-subscribe')).toBeFalsy()
  })

  test('a refused dialog is recorded as such and said', async () => {
    wx.requestSubscribeMessage = jest.fn(options => options.success({ errMsg: 'requestSubscribeMessage:ok', 'tmpl-preview': 'reject' }))
    const { page } = await open({
      'GET /api/me/previews': () => ({ data: fixtures.myPreviews() }),
      'POST /api/me/subscriptions': () => ({ data: { templateId: 'tmpl-preview', granted: 0, remaining: 0, needsSubscribe: true } }),
    })
    await fire(page, '.subscribe', 'click')
    expect(text(page, '.note')).toContain('您未允许订阅')
  })

  test('lists the reviewer’s previews with their state and opens one; onShow reloads', async () => {
    const { page, calls } = await open({
      'GET /api/me/previews': () => ({
        data: fixtures.myPreviews({ previews: [fixtures.preview(), fixtures.preview({ previewId: 'pv-0', stale: true })], pending: 1 }),
      }),
    })
    expect(text(page, '.pending')).toBe('1 份预览待确认')
    expect(texts(page, '.state')).toEqual(['待确认', '已过期'])
    await fire(page, '.preview-item', 'click')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/preview/preview?id=pv-1' })
    await page.instance.onShow()
    await settle()
    expect(calls.filter(c => c.path === '/api/me/previews')).toHaveLength(2)
  })

  test('without a configured template it says so instead of asking', async () => {
    const { page } = await open({
      'GET /api/me/previews': () => ({ data: fixtures.myPreviews({ subscription: { templateId: null, remaining: 0, needsSubscribe: true } }) }),
    })
    await fire(page, '.subscribe', 'click')
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
    expect(text(page, '.note')).toBe('管理员尚未配置预览通知模板')
  })
})
