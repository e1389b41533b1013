const { serve, signIn, renderPage, settle, text, texts, fire } = require('./helpers')
const fixtures = require('./fixtures')

async function open(task, extra) {
  signIn()
  const calls = serve({
    'GET /api/tasks/:taskId': () => ({ data: task }),
    'GET /api/tasks/:taskId/pushes': () => ({ data: { pushes: [fixtures.push()], total: 1 } }),
    'GET /api/push/:pushId': () => ({ data: fixtures.pushDetail() }),
    'GET /api/tasks/:taskId/logs': () => ({ data: fixtures.logs }),
    ...extra,
  })
  const page = renderPage('task')
  await page.instance.onLoad({ id: 'task-1' })
  await settle()
  return { page, calls }
}

describe('the read-only task page', () => {
  test('a completed task: results per group, the log, the picture, and no edit', async () => {
    const content = { ...fixtures.content({ image: fixtures.media.mediaId }), imageUrl: fixtures.media.url, imageName: 'cat.png' }
    const { page } = await open(fixtures.taskDetail({ status: 'completed', nextFireAt: null, content, lastResult: fixtures.push() }))
    expect(text(page, '.read-only')).toBe('任务已完成，只能查看')
    expect(text(page, '.result-summary')).toBe('已发送 2/3，失败 1')
    expect(texts(page, '.delivery-name')).toEqual(['一班家长群', '二班家长群', '三班家长群'])
    expect(texts(page, '.delivery-state')).toEqual(['已发送', '已发送', '失败'])
    expect(text(page, '.delivery-error')).toBe('机器人已被移出群聊')
    expect(texts(page, '.log-title')).toEqual(['奥尔加 修改', '奥尔加 创建'])
    expect(text(page, '.log-detail')).toBe('文本、图片: cat.png')
    expect(page.instance.data.imageUrl).toBe(fixtures.media.url)
    expect(page.querySelector('.edit')).toBeFalsy()
  })

  test('a scheduled task not yet pushed offers 编辑; onShow reloads', async () => {
    const { page, calls } = await open(fixtures.taskDetail(), { 'GET /api/tasks/:taskId/pushes': () => ({ data: { pushes: [], total: 0 } }) })
    expect(text(page, '.no-results')).toBe('还没有推送记录')
    await fire(page, '.edit', 'click')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/edit/edit?id=task-1' })
    await page.instance.onShow()
    await settle()
    expect(calls.filter(c => c.path === '/api/tasks/task-1')).toHaveLength(2)
  })

  test('signed out: to sign-in, and back here afterwards', async () => {
    serve({})
    const page = renderPage('task')
    await page.instance.onLoad({ id: 'task-1' })
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: `/pages/login/login?redirect=${encodeURIComponent('/pages/task/task?id=task-1')}` })
  })
})
