const { serve, renderPage, settle, text, fire, signIn } = require('./helpers')
const fixtures = require('./fixtures')

async function open(routes, query) {
  const calls = serve(routes)
  const page = renderPage('feedback')
  await page.instance.onLoad(query === undefined ? { ptfb: 'signed.token' } : query)
  await settle()
  return { page, calls }
}

const accepted = duplicate => ({ data: { message: 'Feedback received', feedbackId: 7, duplicate: !!duplicate } })

describe('the feedback page', () => {
  test('reads ?ptfb=, identifies the member with wx.login, and sends rating and comment', async () => {
    const { page, calls } = await open({
      'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('member') }),
      'POST /api/feedback': () => accepted(),
    })
    expect(page.querySelector('.rate')).not.toBeNull()
    await fire(page, '.rate', 'change', 4)
    await fire(page, '.text', 'change', '  很有用  ')
    await fire(page, '.submit', 'click')
    expect(wx.login).toHaveBeenCalled()
    expect(calls[0]).toMatchObject({ path: '/api/auth/wechat', data: { code: 'wx-login-code' } })
    const sent = calls.find(c => c.path === '/api/feedback')
    expect(sent.data).toEqual({ token: 'signed.token', memberId: 'm-3f9a1c', rating: 4, content: '很有用' })
    expect(sent.header.Authorization).toBe('Bearer member.token.value')
    expect(text(page, '.thanks')).toBe('感谢您的反馈！')
  })

  test('the old ?token= link and a link without a token say what to do', async () => {
    const { page } = await open({}, { token: 'x' })
    expect(text(page, '.load-error')).toBe('反馈链接不完整，请从群消息中重新打开')
  })

  test('an empty answer is refused on the phone', async () => {
    const { page, calls } = await open({})
    await fire(page, '.submit', 'click')
    expect(text(page, '.form-error')).toBe('请先打分或写下意见再提交')
    expect(calls).toHaveLength(0)
  })

  test('a second answer from the same member is thanked as a duplicate', async () => {
    const { page } = await open({
      'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('member') }),
      'POST /api/feedback': () => accepted(true),
    })
    await fire(page, '.rate', 'change', 5)
    await fire(page, '.submit', 'click')
    expect(text(page, '.thanks')).toBe('您已经提交过反馈，感谢！')
  })

  test('an expired link says so with the server’s words', async () => {
    const { page } = await open({
      'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('member') }),
      'POST /api/feedback': () => ({ status: 401, data: { error: 'Unauthorized', reason: '反馈链接已过期，请联系群管理员' } }),
    })
    await fire(page, '.rate', 'change', 3)
    await fire(page, '.submit', 'click')
    expect(text(page, '.load-error')).toBe('反馈链接已过期，请联系群管理员')
  })

  test('a signed-in operator answering keeps their session and answers without a member token', async () => {
    signIn()
    const { page, calls } = await open({
      'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('operator') }),
      'POST /api/feedback': () => accepted(),
    })
    await fire(page, '.rate', 'change', 2)
    await fire(page, '.submit', 'click')
    const sent = calls.find(c => c.path === '/api/feedback')
    expect(sent.header.Authorization).toBeUndefined()
    expect(sent.data.memberId).toBe('u-u1')
    expect(wx.getStorageSync('pushtask.session').token).toBe('header.payload.signature')
  })
})
