const { serve, signIn, renderPage, settle, text, texts, tap, type } = require('./helpers')
const fixtures = require('./fixtures')

function choose(page, selector, value) {
  page.querySelector(selector).dispatchEvent('change', { detail: { value } })
  return settle(1)
}

async function fillTimeStep(page) {
  await type(page, '.name', '周一课程提醒')
  await choose(page, '.date-picker', '2026-03-09')
}

function crudRoutes(extra) {
  return {
    'POST /api/tasks': () => ({ status: 201, data: { taskId: 'new-1', message: 'Task created' } }),
    'PUT /api/tasks/:id': req => ({ data: { taskId: req.params.id, message: 'Task updated' } }),
    'GET /api/groups': () => ({ data: fixtures.groups }),
    'GET /api/recipients': () => ({ data: fixtures.recipients }),
    ...(extra || {}),
  }
}

async function openNew(routes) {
  signIn()
  const calls = serve(routes || crudRoutes())
  const page = renderPage('edit')
  await page.instance.onLoad({})
  return { page, calls }
}

describe('the step form', () => {
  test('blocks the time step until it has a name and a time, with the server’s words', async () => {
    const { page, calls } = await openNew()

    await tap(page, '.next')

    expect(page.data.step).toBe(0)
    expect(text(page, '.error-name')).toBe('任务名称应为 1–50 个字（当前 0 个）')
    expect(text(page, '.error-date')).toBe('必填项')
    expect(calls).toHaveLength(0)
  })

  test('a weekly task needs at least one weekday', async () => {
    const { page, calls } = await openNew()
    await fillTimeStep(page)
    await choose(page, '.time-picker', '18:00')
    await tap(page, '.type-recurring')

    await tap(page, '.next')
    expect(text(page, '.error-weekdays')).toBe('请选择每周哪几天推送')
    expect(calls).toHaveLength(0)

    await tap(page, '.weekday-1')
    await tap(page, '.next')
    expect(page.data.step).toBe(1)
    expect(calls[0].data.schedule).toEqual({
      type: 'recurring',
      time: '2026-03-09T18:00:00',
      recurringInterval: 'weekly',
      weekdays: [1],
      monthDay: null,
    })
  })

  test('a valid time step saves a draft and moves on; later steps update that draft', async () => {
    const { page, calls } = await openNew()
    await fillTimeStep(page)
    await choose(page, '.time-picker', '18:00')

    await tap(page, '.next')
    expect(calls[0].method).toBe('POST')
    expect(calls[0].data).toMatchObject({ name: '周一课程提醒', status: 'draft', groups: [], previewRecipients: [] })
    expect(page.data.step).toBe(1)

    await type(page, '.text', '今晚 8 点上课')
    await tap(page, '.next')
    expect(calls[1].method).toBe('PUT')
    expect(calls[1].path).toBe('/api/tasks/new-1')
    expect(calls[1].data.content).toEqual({ text: '今晚 8 点上课', image: null, link: null, miniprogram: null })
    expect(calls[1].data.status).toBeUndefined()
    expect(page.data.step).toBe(2)
  })

  test('the content step refuses empty content, text over 500 characters and a bad link', async () => {
    const { page } = await openNew()
    await fillTimeStep(page)
    await choose(page, '.time-picker', '18:00')
    await tap(page, '.next')

    await tap(page, '.next')
    expect(text(page, '.error-content')).toBe('请填写推送内容（文本、图片、链接或小程序至少一项）')

    // 499 letters and two family emoji (each one ZWJ sequence): 501 characters as a reader counts them.
    await type(page, '.text', `${'好'.repeat(499)}👨‍👩‍👧👨‍👩‍👧`)
    await type(page, '.link', 'example.com')
    expect(text(page, '.text-count')).toBe('501/500')
    await tap(page, '.next')
    expect(text(page, '.error-text')).toBe('最多 500 个字符（当前 501 个）')
    expect(text(page, '.error-link')).toBe('链接应为以 http:// 或 https:// 开头的完整网址')
    expect(page.data.step).toBe(1)

    await type(page, '.text', `${'好'.repeat(498)}👨‍👩‍👧👨‍👩‍👧`)
    await type(page, '.link', 'https://example.com/a')
    await tap(page, '.next')
    expect(page.data.step).toBe(2)
  })

  test('the group step loads groups, needs at least one, and saves the choice', async () => {
    const { page, calls } = await openNew()
    await fillTimeStep(page)
    await choose(page, '.time-picker', '18:00')
    await tap(page, '.next')
    await type(page, '.text', '你好')
    await tap(page, '.next')

    expect(texts(page, '.group-option').map(t => t.replace(/\s+/g, ' '))).toEqual(['☐ 一班家长群120', '☐ 二班家长群98'])
    await tap(page, '.next')
    expect(text(page, '.error-groups')).toBe('请至少选择 1 个目标群')

    await tap(page, '.group-option')
    expect(text(page, '.groups-chosen')).toBe('已选 1 个群（最多 100 个）')
    await tap(page, '.next')
    expect(calls.filter(c => c.method === 'PUT').pop().data.groups).toEqual(['g1'])
    expect(page.data.step).toBe(3)

    page.querySelector('.recipient-search').dispatchEvent('input', { detail: { value: '张' } })
    page.querySelector('.recipient-search').dispatchEvent('confirm', { detail: { value: '张' } })
    await settle()
    expect(calls.filter(c => c.path === '/api/recipients').pop().query).toEqual({ q: '张', limit: '100' })
    await tap(page, '.next')
    expect(text(page, '.error-recipients')).toBe('发送预览前请至少选择 1 位接收人')
  })

  test('server field errors land on the step that holds the field', async () => {
    const { page } = await openNew(
      crudRoutes({
        'PUT /api/tasks/:id': () => ({
          status: 400,
          data: {
            error: 'Invalid input',
            details: [{ field: 'schedule.time', message: '推送时间已过，请选择将来的时间' }],
          },
        }),
      }),
    )
    await fillTimeStep(page)
    await choose(page, '.time-picker', '18:00')
    await tap(page, '.next')
    await type(page, '.text', '你好')

    await tap(page, '.next')

    expect(page.data.step).toBe(0)
    expect(text(page, '.error-date')).toBe('推送时间已过，请选择将来的时间')
  })

  test('editing an existing task fills the form from the server', async () => {
    signIn()
    serve(crudRoutes({ 'GET /api/tasks/:id': () => ({ data: fixtures.task() }) }))
    const page = renderPage('edit')

    await page.instance.onLoad({ id: 'task-1' })

    expect(page.data.form).toMatchObject({
      name: '周一课程提醒',
      type: 'recurring',
      date: '2026-03-09',
      time: '18:00',
      recurringInterval: 'weekly',
      weekdays: [1],
      groups: ['g1', 'g2', 'g3'],
      previewRecipients: ['r1'],
    })
    expect(text(page, '.date')).toBe('2026-03-09')
    expect(text(page, '.time')).toBe('18:00')
    expect(page.querySelector('.weekday-1').dom.className).toContain('active')
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '编辑任务' })
  })

  async function atPreviewStep(extra) {
    signIn()
    const calls = serve(crudRoutes({ 'GET /api/tasks/:id': () => ({ data: fixtures.task() }), ...extra }))
    const page = renderPage('edit')
    await page.instance.onLoad({ id: 'task-1' })
    for (let i = 0; i < 4; i += 1) {
      // eslint-disable-next-line no-await-in-loop
      await tap(page, '.next')
    }
    expect(page.data.step).toBe(4)
    return { page, calls }
  }

  test('the last step sends the preview and says it went out', async () => {
    const { page, calls } = await atPreviewStep({
      'POST /api/preview': () => ({ data: { previewId: 'pv-1', validation: { isValid: true, errors: [] } } }),
    })

    await tap(page, '.send-preview')

    expect(calls.filter(c => c.path === '/api/preview')[0].data).toEqual({ taskId: 'task-1' })
    expect(text(page, '.preview-notice')).toBe('预览已发送，等待接收人确认')
  })

  test('content refused by the preview shows each reason', async () => {
    const { page } = await atPreviewStep({
      'POST /api/preview': () => ({
        status: 400,
        data: {
          error: 'Invalid content',
          validation: {
            isValid: false,
            errors: [{ field: 'content.link', message: '链接无法访问' }, '机器人群不支持小程序卡片'],
          },
        },
      }),
    })

    await tap(page, '.send-preview')

    expect(texts(page, '.preview-problem')).toEqual(['链接无法访问', '机器人群不支持小程序卡片'])
    expect(page.querySelector('.preview-notice')).toBeUndefined()
  })

  test('submitting schedules the task and goes back; an approval refusal is shown', async () => {
    let approved = false
    const { page, calls } = await atPreviewStep({
      'PUT /api/tasks/:id': req =>
        req.data.status === 'scheduled' && !approved
          ? { status: 409, data: { error: 'Conflict', reason: '请先让预览接收人确认当前内容，再提交任务' } }
          : { data: { taskId: 'task-1', message: 'Task updated' } },
    })

    await tap(page, '.submit')
    expect(text(page, '.form-error')).toBe('请先让预览接收人确认当前内容，再提交任务')
    expect(wx.navigateBack).not.toHaveBeenCalled()

    approved = true
    await tap(page, '.submit')
    expect(calls.filter(c => c.method === 'PUT').pop().data.status).toBe('scheduled')
    expect(wx.navigateBack).toHaveBeenCalled()
  })
})
