const config = require('../config')
const { serve, signIn, renderPage, text, texts, tap, type } = require('./helpers')
const fixtures = require('./fixtures')

async function openPreview(routes, query) {
  signIn()
  const calls = serve(routes)
  const page = renderPage('preview')
  await page.instance.onLoad(query || { previewId: 'pv-1' })
  return { page, calls }
}

const confirmOk = () => ({ data: { message: 'Preview confirmed' } })

describe('the preview page', () => {
  const savedIds = { ...config.subscribeTemplateIds }
  afterEach(() => Object.assign(config.subscribeTemplateIds, savedIds))

  test('shows the task name and the content as the group will see it', async () => {
    const { page, calls } = await openPreview({ 'GET /api/preview/:id': () => ({ data: fixtures.preview() }) })

    expect(calls[0].path).toBe('/api/preview/pv-1')
    expect(text(page, '.task-name')).toBe('任务：周一课程提醒')
    expect(text(page, '.state')).toBe('待确认')
    expect(text(page, '.prompt')).toBe('请确认内容，回复“确认”或“修改”')
    expect(text(page, '.sender')).toBe(config.senderName)
    expect(text(page, '.bubble.text')).toBe('今晚 8 点上课，请准时参加 😀')
    expect(page.querySelector('.bubble-image')).toBeDefined()
    expect(page.data.imageUrl).toBe(`${config.baseUrl}/api/media/media-1`)
    expect(text(page, '.link-title')).toBe('https://example.com/course')
    expect([text(page, '.confirm'), text(page, '.modify')]).toEqual(['确认', '修改'])
  })

  test('confirm asks for the next subscription on the tap, then confirms', async () => {
    config.subscribeTemplateIds.preview = 'TMPL-PREVIEW'
    config.subscribeTemplateIds.reminder = 'TMPL-REMINDER'
    const { page, calls } = await openPreview({
      'GET /api/preview/:id': () => ({ data: fixtures.preview() }),
      'POST /api/preview/confirm': confirmOk,
    })

    await tap(page, '.confirm')

    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(
      expect.objectContaining({ tmplIds: ['TMPL-PREVIEW', 'TMPL-REMINDER'] }),
    )
    expect(calls[1].data).toEqual({ previewId: 'pv-1', response: 'confirm', comment: '' })
    expect(text(page, '.outcome')).toBe('已确认，任务可以提交了')
    expect(text(page, '.state')).toBe('已确认')
    expect(page.querySelector('.confirm')).toBeUndefined()
  })

  test('modify needs a comment, then sends it', async () => {
    const { page, calls } = await openPreview({
      'GET /api/preview/:id': () => ({ data: fixtures.preview() }),
      'POST /api/preview/confirm': confirmOk,
    })

    await tap(page, '.modify')
    expect(text(page, '.form-error')).toBe('请写明需要修改的地方')
    expect(calls).toHaveLength(1)

    await type(page, '.comment', ' 时间改成 19 点 ')
    await tap(page, '.modify')
    expect(calls[1].data).toEqual({ previewId: 'pv-1', response: 'modify', comment: '时间改成 19 点' })
    expect(text(page, '.outcome')).toBe('已要求修改，创建者会收到您的意见')
  })

  test('no subscription is requested when no template id is configured', async () => {
    const { page } = await openPreview({
      'GET /api/preview/:id': () => ({ data: fixtures.preview() }),
      'POST /api/preview/confirm': confirmOk,
    })
    await tap(page, '.confirm')
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
  })

  test('a stale or already decided preview shows the server reason and stays open for nothing else', async () => {
    const { page } = await openPreview({
      'GET /api/preview/:id': () => ({ data: fixtures.preview() }),
      'POST /api/preview/confirm': () => ({ status: 409, data: { error: 'Conflict', reason: '内容已修改，请查看最新预览' } }),
    })

    await tap(page, '.confirm')

    expect(text(page, '.form-error')).toBe('内容已修改，请查看最新预览')
  })

  test('a preview that is already stale opens without buttons', async () => {
    const { page } = await openPreview({ 'GET /api/preview/:id': () => ({ data: fixtures.preview({ state: 'stale' }) }) })
    expect(page.querySelector('.confirm')).toBeUndefined()
    expect(text(page, '.outcome')).toBe('内容已修改，请查看最新预览')
  })

  test('a link without a preview id says where to open it from', async () => {
    const { page, calls } = await openPreview({}, {})
    expect(text(page, '.load-error')).toBe('链接缺少预览编号，请从服务通知重新打开')
    expect(calls).toHaveLength(0)
  })

  test('an unknown preview says it does not exist', async () => {
    const { page } = await openPreview({ 'GET /api/preview/:id': () => ({ status: 404, data: { error: 'Preview not found' } }) })
    expect(text(page, '.load-error')).toBe('内容不存在或已被删除')
  })
})
