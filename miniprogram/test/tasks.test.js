const { serve, signIn, renderPage, settle, text, texts, tap } = require('./helpers')
const fixtures = require('./fixtures')

function twentyTasks(offset) {
  return Array.from({ length: 20 }, (_, i) =>
    fixtures.task({ taskId: `t${offset + i}`, name: `任务 ${offset + i}`, status: 'draft', nextFireAt: null }),
  )
}

async function openList(routes) {
  signIn()
  const calls = serve(routes)
  const page = renderPage('tasks')
  await page.instance.onLoad({})
  await settle()
  return { page, calls }
}

async function swipeLeft(page, selector) {
  const card = page.querySelector(selector)
  card.dispatchEvent('touchstart', { touches: [{ x: 300, y: 10 }] })
  card.dispatchEvent('touchend', { changedTouches: [{ x: 180, y: 12 }] })
  await settle(1)
}

describe('the task list', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-03-09T01:00:00Z'), doNotFake: ['setTimeout', 'nextTick', 'setImmediate'] })
  })
  afterEach(() => jest.useRealTimers())

  test('sends a signed-out user to sign in instead of loading', async () => {
    const calls = serve({})
    const page = renderPage('tasks')
    await page.instance.onLoad({})
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/login/login' })
    expect(calls).toHaveLength(0)
  })

  test('shows each task as a card: name, next time in words, status and group count', async () => {
    const { page } = await openList({
      'GET /api/tasks': () => ({
        data: fixtures.page([fixtures.task(), fixtures.task({ taskId: 't2', name: '活动通知', status: 'paused', groups: ['g1'], nextFireAt: null })]),
      }),
    })

    expect(texts(page, '.task-name')).toEqual(['周一课程提醒', '活动通知'])
    expect(texts(page, '.task-next')).toEqual(['今天 18:00', '无后续推送'])
    expect(texts(page, '.status')).toEqual(['待执行', '暂停'])
    expect(texts(page, '.task-groups')).toEqual(['3 个群', '1 个群'])
    expect(text(page, '.schedule-text')).toBe('每周一 18:00')
  })

  test('filters by status and searches by name', async () => {
    const { page, calls } = await openList({ 'GET /api/tasks': () => ({ data: fixtures.page([]) }) })
    expect(text(page, '.empty')).toContain('暂无任务')

    const paused = page.querySelectorAll('.filter').find(node => node.dom.textContent.trim() === '暂停')
    paused.dispatchEvent('tap')
    await settle()
    page.querySelector('.search').dispatchEvent('input', { detail: { value: ' 周一 ' } })
    page.querySelector('.search').dispatchEvent('confirm', { detail: { value: ' 周一 ' } })
    await settle()

    expect(calls[1].query).toEqual({ page: '1', limit: '20', status: 'paused' })
    expect(calls[2].query).toEqual({ page: '1', limit: '20', status: 'paused', q: '周一' })
  })

  test('pull to refresh reloads the first page and stops the spinner', async () => {
    const { page, calls } = await openList({ 'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task()]) }) })

    await page.instance.onPullDownRefresh()

    expect(calls).toHaveLength(2)
    expect(calls[1].query.page).toBe('1')
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('scrolling to the bottom appends the next page until all are shown', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': req =>
        req.query.page === '1'
          ? { data: fixtures.page(twentyTasks(0), 25, 1) }
          : { data: fixtures.page(twentyTasks(20).slice(0, 5), 25, 2) },
    })
    expect(page.querySelectorAll('.task')).toHaveLength(20)

    await page.instance.onReachBottom()
    await page.instance.onReachBottom()

    expect(calls.map(c => c.query.page)).toEqual(['1', '2'])
    expect(page.querySelectorAll('.task')).toHaveLength(25)
    expect(text(page, '.no-more')).toBe('没有更多了')
  })

  test('swiping a card left shows the actions its status allows', async () => {
    const { page } = await openList({
      'GET /api/tasks': () => ({
        data: fixtures.page([fixtures.task(), fixtures.task({ taskId: 't2', status: 'paused' })]),
      }),
    })
    expect(page.querySelector('.actions')).toBeUndefined()

    await swipeLeft(page, '.task')
    expect(texts(page, '.action')).toEqual(['暂停', '复制'])

    const cards = page.querySelectorAll('.task')
    cards[1].dispatchEvent('touchstart', { touches: [{ x: 300, y: 0 }] })
    cards[1].dispatchEvent('touchend', { changedTouches: [{ x: 100, y: 0 }] })
    await settle(1)
    expect(texts(page, '.action')).toEqual(['恢复', '复制', '删除'])
  })

  test('pause, resume and copy call the server, confirm with a toast and reload', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task(), fixtures.task({ taskId: 't2', status: 'paused' })]) }),
      'POST /api/tasks/:id/pause': () => ({ data: { taskId: 'task-1', message: 'Task paused' } }),
      'POST /api/tasks/:id/resume': () => ({ data: { taskId: 't2', message: 'Task resumed' } }),
      'POST /api/tasks/:id/copy': () => ({ status: 201, data: { taskId: 't3', message: 'Task copied' } }),
    })

    await swipeLeft(page, '.task')
    await tap(page, '.action-pause')
    await swipeLeft(page, '.task')
    await tap(page, '.action-copy')
    const second = page.querySelectorAll('.task')[1]
    second.dispatchEvent('touchstart', { touches: [{ x: 300, y: 0 }] })
    second.dispatchEvent('touchend', { changedTouches: [{ x: 100, y: 0 }] })
    await settle(1)
    await tap(page, '.action-resume')

    const writes = calls.filter(c => c.method === 'POST').map(c => c.path)
    expect(writes).toEqual(['/api/tasks/task-1/pause', '/api/tasks/task-1/copy', '/api/tasks/t2/resume'])
    expect(wx.showToast.mock.calls.map(c => c[0].title)).toEqual(['已暂停', '已复制为草稿', '已恢复'])
    expect(calls.filter(c => c.method === 'GET')).toHaveLength(4)
  })

  test('delete asks first and deletes only after the user agrees', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task({ status: 'draft' })]) }),
      'DELETE /api/tasks/:id': () => ({ data: { message: 'Task deleted' } }),
    })
    wx.showModal.mockImplementationOnce(options => options.success({ confirm: false, cancel: true }))

    await swipeLeft(page, '.task')
    await tap(page, '.action-delete')
    expect(calls.some(c => c.method === 'DELETE')).toBe(false)
    expect(wx.showModal.mock.calls[0][0].content).toBe('确定删除“周一课程提醒”吗？删除后不可恢复。')

    await tap(page, '.action-delete')
    expect(calls.filter(c => c.method === 'DELETE').map(c => c.path)).toEqual(['/api/tasks/task-1'])
  })

  test('a refused action shows the server reason', async () => {
    const { page } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task()]) }),
      'POST /api/tasks/:id/pause': () => ({ status: 409, data: { error: 'Conflict', reason: '任务正在推送，请稍后再试' } }),
    })

    await swipeLeft(page, '.task')
    await tap(page, '.action-pause')

    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '任务正在推送，请稍后再试', icon: 'none' }))
  })

  test('a server error is shown with a retry', async () => {
    let fail = true
    const { page } = await openList({
      'GET /api/tasks': () => (fail ? { status: 503, data: {} } : { data: fixtures.page([fixtures.task()]) }),
    })
    expect(text(page, '.list-error')).toBe('服务器出错，请稍后再试；若持续出现请联系管理员 · 重试')

    fail = false
    await tap(page, '.list-error')
    expect(page.querySelector('.list-error')).toBeUndefined()
    expect(texts(page, '.task-name')).toEqual(['周一课程提醒'])
  })

  test('tapping a card opens it in the step form', async () => {
    const { page } = await openList({ 'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task()]) }) })
    await tap(page, '.task')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/edit/edit?id=task-1' })
  })
})
