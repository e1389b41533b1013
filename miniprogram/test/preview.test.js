const { serve, signIn, renderPage, settle, text, texts, fire } = require('./helpers')
const fixtures = require('./fixtures')

const REVIEWER = { scope: 'reviewer', user: null, reviewer: { recipientId: 'r1', name: '张老师', orgId: 'o1', orgName: '示例学校' } }

async function open(routes, query, session) {
  if (session !== null) signIn(session || REVIEWER)
  const calls = serve({ 'GET /api/me/previews': () => ({ data: fixtures.myPreviews() }), ...routes })
  const page = renderPage('preview')
  await page.instance.onLoad(query || { id: 'pv-1' })
  await settle()
  return { page, calls }
}

describe('the preview page', () => {
  test('reads the server’s fields: the name under content, status, the picture from its signed url', async () => {
    const { page, calls } = await open({
      'GET /api/preview/:previewId': () => ({ data: fixtures.preview({ content: { ...fixtures.preview().content, imageUrl: fixtures.media.url, imageName: 'cat.png' } }) }),
    })
    expect(calls.find(c => c.path === '/api/preview/pv-1')).toBeDefined()
    expect(text(page, '.task-name')).toBe('任务：周一课程提醒')
    expect(text(page, '.state')).toBe('待确认')
    expect(text(page, '.text')).toBe('今晚 8 点上课，请准时参加 😀')
    expect(page.querySelector('.bubble-image')).not.toBeNull()
    expect(page.instance.data.imageUrl).toBe(fixtures.media.url)
    expect(text(page, '.link-title')).toBe('https://example.com/course')
    expect(page.querySelector('.confirm')).not.toBeNull()
    expect(page.querySelector('.variant')).toBeFalsy() // one content: no A/B label
  })

  test('an A/B variant\'s preview says which variant it is', async () => {
    const { page } = await open({ 'GET /api/preview/:previewId': () => ({ data: fixtures.preview({ variant: 'B' }) }) })
    expect(text(page, '.variant')).toBe('A/B 测试 · 版本 B（每个版本分别确认）')
  })

  test('a decided preview shows who decided and no buttons', async () => {
    const { page } = await open({
      'GET /api/preview/:previewId': () => ({
        data: fixtures.preview({
          status: 'modify_requested',
          comment: '时间写错了',
          decidedAt: '2026-03-08T03:00:00Z',
          decisions: [{ response: 'modify', via: 'api', name: '张老师', comment: '时间写错了', timestamp: '2026-03-08T03:00:00Z' }],
        }),
      }),
    })
    expect(text(page, '.state')).toBe('已要求修改')
    expect(texts(page, '.decision')[0]).toContain('张老师 要求修改')
    expect(texts(page, '.decision')[0]).toContain('时间写错了')
    expect(page.querySelector('.confirm')).toBeFalsy()
  })

  test('a stale preview says so and cannot be decided', async () => {
    const { page } = await open({ 'GET /api/preview/:previewId': () => ({ data: fixtures.preview({ stale: true }) }) })
    expect(text(page, '.state')).toBe('已过期')
    expect(text(page, '.stale')).toContain('这份预览已过期')
    expect(page.querySelector('.confirm')).toBeFalsy()
  })

  test('confirm: the tap asks for the next subscription, records the answer, then decides', async () => {
    let status = 'pending'
    const { page, calls } = await open({
      'GET /api/preview/:previewId': () => ({ data: fixtures.preview({ status }) }),
      'POST /api/me/subscriptions': () => ({ data: { templateId: 'tmpl-preview', granted: 1, remaining: 1, needsSubscribe: false } }),
      'POST /api/preview/confirm': () => {
        status = 'confirmed'
        return { data: { message: 'Preview confirmed' } }
      },
    })
    await fire(page, '.confirm', 'click')
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['tmpl-preview'] }))
    const order = calls.map(c => `${c.method} ${c.path}`).filter(c => c.indexOf('POST') === 0)
    expect(order).toEqual(['POST /api/me/subscriptions', 'POST /api/preview/confirm'])
    expect(calls.find(c => c.path === '/api/me/subscriptions').data).toEqual({
      templateIds: ['tmpl-preview'],
      result: { errMsg: 'requestSubscribeMessage:ok', 'tmpl-preview': 'accept' },
    })
    expect(calls.find(c => c.path === '/api/preview/confirm').data).toEqual({ previewId: 'pv-1', response: 'confirm' })
    expect(text(page, '.outcome')).toBe('已确认，任务可以提交了')
    expect(text(page, '.subscribe-note')).toBe('已订阅下一次预览通知')
    expect(text(page, '.state')).toBe('已确认')
  })

  test('a refused subscription is said, and the decision still goes through', async () => {
    wx.requestSubscribeMessage = jest.fn(options => options.success({ errMsg: 'requestSubscribeMessage:ok', 'tmpl-preview': 'reject' }))
    const { page } = await open({
      'GET /api/preview/:previewId': () => ({ data: fixtures.preview() }),
      'POST /api/me/subscriptions': () => ({ data: { templateId: 'tmpl-preview', granted: 0, remaining: 0, needsSubscribe: true } }),
      'POST /api/preview/confirm': () => ({ data: { message: 'Preview confirmed' } }),
    })
    await fire(page, '.confirm', 'click')
    expect(text(page, '.subscribe-note')).toContain('您未允许订阅')
  })

  test('修改 needs a comment; a 409 shows the reason and what the server has now', async () => {
    let status = 'pending'
    const { page, calls } = await open({
      'GET /api/preview/:previewId': () => ({ data: fixtures.preview({ status }) }),
      'POST /api/me/subscriptions': () => ({ data: { templateId: 'tmpl-preview', granted: 1, remaining: 1, needsSubscribe: false } }),
      'POST /api/preview/confirm': () => {
        status = 'confirmed'
        return { status: 409, data: { error: 'Conflict', reason: '该预览已由其他审核人确认' } }
      },
    })
    await fire(page, '.modify', 'click')
    expect(text(page, '.form-error')).toBe('请写明需要修改的地方')
    expect(calls.some(c => c.path === '/api/preview/confirm')).toBe(false)
    await fire(page, '.comment', 'change', '时间改到 19:00')
    await fire(page, '.modify', 'click')
    expect(calls.find(c => c.path === '/api/preview/confirm').data).toEqual({ previewId: 'pv-1', response: 'modify', comment: '时间改到 19:00' })
    expect(text(page, '.form-error')).toBe('该预览已由其他审核人确认')
    expect(text(page, '.state')).toBe('已确认')
  })

  test('a reviewer who is not signed in is signed in with wx.login first', async () => {
    const { page, calls } = await open(
      {
        'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('reviewer') }),
        'GET /api/preview/:previewId': () => ({ data: fixtures.preview() }),
      },
      { id: 'pv-1' },
      null,
    )
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/auth/wechat', data: { code: 'wx-login-code' } })
    expect(calls.find(c => c.path === '/api/preview/pv-1').header.Authorization).toBe('Bearer reviewer.token.value')
    expect(text(page, '.task-name')).toBe('任务：周一课程提醒')
  })

  test('a link without an id says what to do; onShow reloads', async () => {
    const { page } = await open({}, {})
    expect(text(page, '.load-error')).toBe('链接缺少预览编号，请从服务通知重新打开')
    const again = await open({ 'GET /api/preview/:previewId': () => ({ data: fixtures.preview() }) })
    await again.page.instance.onShow()
    await settle()
    expect(again.calls.filter(c => c.path === '/api/preview/pv-1')).toHaveLength(2)
  })
})
