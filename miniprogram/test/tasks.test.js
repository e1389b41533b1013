const { serve, signIn, renderPage, settle, text, texts, tap, fire } = require('./helpers')
const fixtures = require('./fixtures')

function twentyTasks(offset) {
  return Array.from({ length: 20 }, (_, i) =>
    fixtures.task({ taskId: `t${offset + i}`, name: `任务 ${offset + i}`, status: 'draft', nextFireAt: null }),
  )
}

const CHOICES = {
  'GET /api/groups': () => ({ data: fixtures.groups }),
  'GET /api/recipients': () => ({ data: fixtures.recipients }),
  'GET /api/users': () => ({ data: fixtures.users }),
}

async function openList(routes, session) {
  signIn(session)
  const calls = serve({ ...CHOICES, ...routes })
  const page = renderPage('tasks')
  await page.instance.onLoad({})
  await settle()
  return { page, calls }
}

const listCalls = calls => calls.filter(c => c.path === '/api/tasks')

describe('the task list', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-03-09T01:00:00Z'), doNotFake: ['setTimeout', 'nextTick', 'setImmediate'] })
  })
  afterEach(() => jest.useRealTimers())

  test('sends a signed-out user to sign in instead of loading', async () => {
    const calls = serve({})
    const page = renderPage('tasks')
    await page.instance.onLoad({})
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: `/pages/login/login?redirect=${encodeURIComponent('/pages/tasks/tasks')}` })
    expect(calls).toHaveLength(0)
  })

  test('a reviewer opening the mini program lands on their previews', async () => {
    signIn({ scope: 'reviewer', user: null, reviewer: fixtures.signInOut('reviewer').reviewer })
    const calls = serve({})
    const page = renderPage('tasks')
    await page.instance.onLoad({})
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/reviewer/reviewer' })
    expect(calls).toHaveLength(0)
  })

  test('an old notice link with ?id= opens that task read-only', async () => {
    signIn()
    serve({ ...CHOICES, 'GET /api/tasks': () => ({ data: fixtures.page([]) }) })
    const page = renderPage('tasks')
    await page.instance.onLoad({ id: 'task-9' })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/task/task?id=task-9' })
  })

  test('shows each task as a Vant swipe cell card: name, next time, status, groups, creator', async () => {
    const { page } = await openList({
      'GET /api/tasks': () => ({
        data: fixtures.page([fixtures.task(), fixtures.task({ taskId: 't2', name: '活动通知', status: 'paused', groups: ['g1'], nextFireAt: null })]),
      }),
    })
    expect(page.querySelectorAll('.task-cell')).toHaveLength(2)
    expect(texts(page, '.task-name')).toEqual(['周一课程提醒', '活动通知'])
    expect(texts(page, '.task-next')).toEqual(['今天 18:00', '无后续推送'])
    expect(texts(page, '.status')).toEqual(['待执行', '暂停'])
    expect(texts(page, '.task-groups')).toEqual(['3 个群', '1 个群'])
    expect(text(page, '.task-creator')).toBe('奥尔加 · 中优先级')
  })

  test('every PRD filter goes to the server: status, time, group, creator, reviewer and the name', async () => {
    const { page, calls } = await openList({ 'GET /api/tasks': () => ({ data: fixtures.page([]) }) }, {
      user: { ...fixtures.user, role: 'admin' },
    })
    expect(page.querySelector('.empty')).not.toBeNull()
    expect(page.instance.data.groupOptions.map(o => o.text)).toEqual(['全部', '一班家长群', '二班家长群', '三班家长群'])
    expect(page.instance.data.creatorOptions.map(o => o.text)).toEqual(['全部', '我创建的', '王老师'])
    expect(page.instance.data.recipientOptions.map(o => o.text)).toEqual(['全部', '张老师', '李老师'])

    await fire(page, '.filter-status', 'change', 'paused')
    await fire(page, '.filter-period', 'change', 'week')
    await fire(page, '.filter-group', 'change', 'g2')
    await fire(page, '.filter-creator', 'change', 'u1')
    await fire(page, '.filter-recipient', 'change', 'r1')
    await fire(page, '.search', 'change', ' 课程 ')
    await fire(page, '.search', 'search', ' 课程 ')
    const last = listCalls(calls).pop()
    expect(last.query).toMatchObject({ status: 'paused', groupId: 'g2', creatorId: 'u1', recipientId: 'r1', q: '课程', page: '1' })
    // 7 days from the start of today, Beijing time.
    expect(last.query.startTime).toBe('2026-03-08T16:00:00.000Z')
    expect(last.query.endTime).toBe('2026-03-15T16:00:00.000Z')

    await fire(page, '.search', 'clear')
    expect(listCalls(calls).pop().query.q).toBeUndefined()
  })

  test('an older answer never overwrites a newer filter’s', async () => {
    let releaseSlow
    const slow = new Promise(resolve => {
      releaseSlow = resolve
    })
    const { page } = await openList({
      'GET /api/tasks': call =>
        call.query.status === 'draft'
          ? slow.then(() => ({ data: fixtures.page([fixtures.task({ name: '旧的草稿', status: 'draft' })]) }))
          : { data: fixtures.page([fixtures.task({ name: call.query.status === 'paused' ? '暂停的任务' : '全部任务', status: 'paused' })]) },
    })
    page.querySelector('.filter-status').dispatchEvent('change', { detail: 'draft' })
    await settle(2)
    await fire(page, '.filter-status', 'change', 'paused')
    expect(texts(page, '.task-name')).toEqual(['暂停的任务'])
    releaseSlow()
    await settle()
    expect(texts(page, '.task-name')).toEqual(['暂停的任务'])
  })

  test('pull-down refresh reloads page 1; reaching the bottom loads the next page until all are shown', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': call => ({ data: fixtures.page(call.query.page === '1' ? twentyTasks(0) : [fixtures.task({ taskId: 'last', name: '最后一个' })], 21, Number(call.query.page)) }),
    })
    expect(page.querySelectorAll('.task')).toHaveLength(20)
    await page.instance.onReachBottom()
    await settle()
    expect(page.querySelectorAll('.task')).toHaveLength(21)
    expect(text(page, '.no-more')).toBe('没有更多了')
    const before = listCalls(calls).length
    await page.instance.onReachBottom()
    expect(listCalls(calls)).toHaveLength(before)

    await page.instance.onPullDownRefresh()
    expect(listCalls(calls).pop().query.page).toBe('1')
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('swipe actions: pause, resume, copy, and delete after the Vant dialog’s confirmation', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task({ status: 'paused', nextFireAt: null })]) }),
      'POST /api/tasks/:taskId/resume': () => ({ data: { taskId: 'task-1', message: 'Task resumed' } }),
      'POST /api/tasks/:taskId/copy': () => ({ status: 201, data: { taskId: 'task-2', message: 'Task copied' } }),
      'DELETE /api/tasks/:taskId': () => ({ data: { message: 'Task deleted' } }),
    })
    expect(page.querySelector('.action-pause')).toBeFalsy()
    await tap(page, '.action-resume')
    expect(calls.some(c => c.method === 'POST' && c.path === '/api/tasks/task-1/resume')).toBe(true)
    await tap(page, '.action-copy')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已复制为草稿', icon: 'success' })

    await tap(page, '.action-delete')
    const dialog = page.instance.selectComponent('#dialog')
    expect(dialog.data.show).toBe(true)
    expect(dialog.data.message).toBe('确定删除“周一课程提醒”吗？删除后不可恢复。')
    expect(calls.some(c => c.method === 'DELETE')).toBe(false)
    dialog.onConfirm()
    // Vant calls back after the popup's leave transition.
    for (let i = 0; i < 40 && !calls.some(c => c.method === 'DELETE'); i += 1) {
      await new Promise(resolve => setTimeout(resolve, 50)) // eslint-disable-line no-await-in-loop
    }
    await settle()
    expect(calls.some(c => c.method === 'DELETE' && c.path === '/api/tasks/task-1')).toBe(true)
  })

  test('a refused action shows the server’s reason', async () => {
    const { page } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task()]) }),
      'POST /api/tasks/:taskId/pause': () => ({ status: 409, data: { error: 'Conflict', reason: '任务正在推送，请稍后再暂停' } }),
    })
    await tap(page, '.action-pause')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '任务正在推送，请稍后再暂停', icon: 'none', duration: 3000 })
  })

  test('running and completed tasks open read-only; scheduled ones open the form; onShow reloads after', async () => {
    const { page, calls } = await openList({
      'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task({ status: 'completed', nextFireAt: null }), fixtures.task({ taskId: 't2' })]) }),
    })
    const cards = page.querySelectorAll('.task')
    cards[0].dispatchEvent('tap')
    await settle()
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/task/task?id=task-1' })
    cards[1].dispatchEvent('tap')
    await settle()
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/edit/edit?id=t2' })
    const before = listCalls(calls).length
    await page.instance.onShow()
    await settle()
    expect(listCalls(calls).length).toBe(before + 1)
    await page.instance.onShow()
    expect(listCalls(calls).length).toBe(before + 1)
  })

  test('a failed load says why and retries on tap', async () => {
    let fail = true
    const { page } = await openList({
      'GET /api/tasks': () => (fail ? 'network' : { data: fixtures.page([fixtures.task()]) }),
    })
    expect(text(page, '.list-error')).toBe('网络连接失败，请检查网络后重试 · 重试')
    fail = false
    await tap(page, '.list-error')
    expect(texts(page, '.task-name')).toEqual(['周一课程提醒'])
  })

  test('in English when WeChat is in English: cards, filters and the server’s language', async () => {
    wx.getAppBaseInfo = jest.fn(() => ({ language: 'en' }))
    const { page, calls } = await openList({ 'GET /api/tasks': () => ({ data: fixtures.page([fixtures.task()]) }) })
    expect(texts(page, '.status')).toEqual(['Scheduled'])
    expect(text(page, '.task-groups')).toBe('3 groups')
    expect(page.instance.data.periodOptions.map(o => o.text)).toEqual(['Any time', 'Today', 'Next 7 days', 'Next 30 days'])
    expect(listCalls(calls)[0].header['Accept-Language']).toBe('en')
  })
})
