const { serve, renderPage, text, tap, type } = require('./helpers')

function openForm(routes, query) {
  const calls = serve(routes)
  const page = renderPage('feedback')
  page.instance.onLoad(query || { token: 'signed.token' })
  return { page, calls }
}

describe('the feedback form', () => {
  test('refuses an empty submission without calling the server', async () => {
    const { page, calls } = openForm({})

    await tap(page, '.submit')

    expect(text(page, '.form-error')).toBe('请先打分或写下意见再提交')
    expect(calls).toHaveLength(0)
  })

  test('sends the rating, the text and the token without signing in, then thanks', async () => {
    const { page, calls } = openForm({ 'POST /api/feedback': () => ({ status: 201, data: { message: 'Feedback received' } }) })

    await tap(page, '.star-4')
    await type(page, '.text', ' 讲得很清楚 ')
    await tap(page, '.submit')

    expect(calls[0].data).toEqual({
      token: 'signed.token',
      memberId: expect.stringMatching(/^m[0-9a-z]+$/),
      rating: 4,
      content: '讲得很清楚',
    })
    expect(calls[0].header.Authorization).toBeUndefined()
    expect(text(page, '.thanks')).toBe('感谢您的反馈！')
  })

  test('a rating alone is enough', async () => {
    const { page, calls } = openForm({ 'POST /api/feedback': () => ({ status: 201, data: {} }) })
    await tap(page, '.star-5')
    await tap(page, '.submit')
    expect(calls[0].data.rating).toBe(5)
  })

  test('a second answer from the same member is acknowledged, not repeated', async () => {
    const { page } = openForm({ 'POST /api/feedback': () => ({ status: 409, data: { error: 'Conflict' } }) })
    await tap(page, '.star-3')
    await tap(page, '.submit')
    expect(text(page, '.thanks')).toBe('您已经提交过反馈，感谢！')
  })

  test('an expired link says so and does not ask for a sign-in', async () => {
    const { page } = openForm({ 'POST /api/feedback': () => ({ status: 401, data: { error: 'Invalid token' } }) })
    await tap(page, '.star-3')
    await tap(page, '.submit')
    expect(text(page, '.load-error')).toBe('反馈链接已失效，请联系群管理员')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('too many answers in a row are asked to wait', async () => {
    const { page } = openForm({
      'POST /api/feedback': () => ({ status: 429, data: { error: 'Rate limit exceeded' }, header: { 'Retry-After': '60' } }),
    })
    await tap(page, '.star-3')
    await tap(page, '.submit')
    expect(text(page, '.form-error')).toBe('操作太频繁，请 60 秒后再试')
  })

  test('a link without a token cannot be used', () => {
    const { page } = openForm({}, {})
    expect(text(page, '.load-error')).toBe('反馈链接不完整，请从群消息中重新打开')
    expect(page.querySelector('.submit')).toBeUndefined()
  })
})
