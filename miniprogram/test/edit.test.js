const { serve, signIn, renderPage, settle, text, texts, fire, violations } = require('./helpers')
const contract = require('./openapi/contract')
const fixtures = require('./fixtures')

const BASE = {
  'GET /api/preview/templates': () => ({ data: fixtures.templates }),
  'GET /api/groups': () => ({ data: fixtures.groups }),
  'GET /api/recipients': () => ({ data: fixtures.recipients }),
}

async function open(routes, query) {
  signIn()
  const calls = serve({ ...BASE, ...routes })
  const page = renderPage('edit')
  await page.instance.onLoad(query || {})
  await settle()
  return { page, calls }
}

const writes = calls => calls.filter(c => c.method === 'POST' || c.method === 'PUT').filter(c => c.path.indexOf('/api/tasks') === 0)

async function fillTime(page) {
  await fire(page, '.name', 'change', '周一课程提醒')
  await fire(page, '.date-picker', 'change', { value: '2026-03-09' })
  await fire(page, '.time-picker', 'change', { value: '18:00' })
}

// wx.uploadFile answers like POST /api/media (checked against the server's schema).
function uploads(answer) {
  wx.uploadFile = jest.fn(options => {
    const res = answer(options)
    try {
      contract.checkResponse('POST', '/api/media', res.statusCode, res.body)
    } catch (e) {
      violations.push(e.message)
    }
    setTimeout(() => options.success({ statusCode: res.statusCode, data: JSON.stringify(res.body), header: {} }), 0)
  })
}

describe('the step form', () => {
  test('下一步 checks each step without saving; 上一步 goes back with everything kept', async () => {
    const { page, calls } = await open({})
    expect(page.querySelector('.steps')).not.toBeNull()
    await page.instance.next()
    await settle()
    expect(text(page, '.error-date')).toBe('必填项')
    expect(page.instance.data.errors.name).toBe('任务名称应为 1–50 个字（当前 0 个）')

    await fillTime(page)
    await page.instance.next()
    await settle()
    expect(page.instance.data.step).toBe(1)
    expect(page.querySelector('.step-content')).not.toBeNull()
    await fire(page, '.prev', 'click')
    expect(page.instance.data.step).toBe(0)
    expect(page.instance.data.form.name).toBe('周一课程提醒')
    expect(writes(calls)).toHaveLength(0)
  })

  test('a recurring schedule with every, weekdays, an end after N pushes and a priority reaches the server as one draft', async () => {
    const { page, calls } = await open({ 'POST /api/tasks': () => ({ status: 201, data: { taskId: 'task-9', message: 'Task created' } }) })
    await fillTime(page)
    await fire(page, '.type', 'change', 'recurring')
    expect(page.querySelector('.recurring')).not.toBeNull()
    await fire(page, '.weekdays', 'change', ['1', '3'])
    await fire(page, '.interval', 'change', '2')
    await fire(page, '.end-mode', 'change', 'count')
    await fire(page, '.end-after', 'change', '10')
    await fire(page, '.priority', 'change', 'high')
    await fire(page, '.save', 'click')
    const [create] = writes(calls)
    expect(create.data).toMatchObject({
      status: 'draft',
      name: '周一课程提醒',
      priority: 'high',
      schedule: { type: 'recurring', time: '2026-03-09T18:00:00', recurringInterval: 'weekly', interval: 2, weekdays: [1, 3], endAfter: 10, recurringEnd: null },
    })
    expect(wx.showToast).toHaveBeenCalledWith({ title: '草稿已保存', icon: 'success' })
  })

  test('an end date before the start is refused on the phone', async () => {
    const { page } = await open({})
    await fillTime(page)
    await fire(page, '.type', 'change', 'recurring')
    await fire(page, '.frequency', 'change', 'daily')
    await fire(page, '.end-mode', 'change', 'date')
    await fire(page, '.end-date-picker', 'change', { value: '2026-03-01' })
    await page.instance.next()
    await settle()
    expect(text(page, '.error-recurring-end')).toBe('截止日期不能早于开始日期')
  })

  test('content: a template, text, link, a mini-program card and the feedback switch', async () => {
    const { page, calls } = await open({ 'POST /api/tasks': () => ({ status: 201, data: { taskId: 'task-9', message: 'ok' } }) })
    await fillTime(page)
    await page.instance.next()
    await settle()
    await fire(page, '.template-picker', 'change', { value: 0 })
    expect(page.instance.data.form.text).toBe('{{群名}}的家长：今晚 8 点上课')
    await fire(page, '.template-picker', 'change', { value: 1 })
    expect(page.instance.data.form.image).toBe('b'.repeat(64))
    expect(page.instance.data.files).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:8000/api/media/poster?sig=x', name: 'poster.png' })])
    page.querySelector('.uploader').dispatchEvent('delete', { detail: { index: 0 } })
    await settle()
    await fire(page, '.template-picker', 'change', { value: 0 })
    await fire(page, '.mp-appid', 'change', 'wx1234567890abcdef')
    await page.instance.next()
    await settle()
    expect(text(page, '.error-miniprogram')).toBe('小程序卡片需填写 AppID、页面路径、标题和缩略图')
    await fire(page, '.mp-page', 'change', 'pages/course/course?id=3')
    await fire(page, '.mp-title', 'change', '课程详情')
    await fire(page, '.mp-thumb', 'change', 'https://example.com/thumb.png')
    await fire(page, '.link', 'change', 'https://example.com/course')
    await fire(page, '.feedback', 'change', true)
    await fire(page, '.save', 'click')
    expect(writes(calls)[0].data.content).toEqual({
      text: '{{群名}}的家长：今晚 8 点上课',
      image: null,
      link: 'https://example.com/course',
      miniprogram: { appid: 'wx1234567890abcdef', pagePath: 'pages/course/course?id=3', title: '课程详情', thumbnail: 'https://example.com/thumb.png' },
    })
    expect(writes(calls)[0].data.feedbackEnabled).toBe(true)
  })

  test('an image is picked with the Vant uploader, uploaded, shown from the server, and removed', async () => {
    const { page, calls } = await open({ 'POST /api/tasks': () => ({ status: 201, data: { taskId: 'task-9', message: 'ok' } }) })
    uploads(() => ({ statusCode: 201, body: fixtures.media }))
    await fillTime(page)
    await page.instance.next()
    await settle()
    // The tap on Vant's upload area: it calls wx.chooseMedia (answered in setup.js), then after-read.
    page.querySelector('.uploader').instance.startUpload()
    for (let i = 0; i < 20 && !wx.uploadFile.mock.calls.length; i += 1) await settle() // eslint-disable-line no-await-in-loop
    await settle()
    expect(wx.chooseMedia).toHaveBeenCalledWith(expect.objectContaining({ count: 1, mediaType: ['image'] }))
    expect(wx.uploadFile).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/cat.png', name: 'file' }))
    expect(wx.uploadFile.mock.calls[0][0].header.Authorization).toBe('Bearer header.payload.signature')
    expect(page.instance.data.form.image).toBe(fixtures.media.mediaId)
    expect(page.instance.data.files).toEqual([expect.objectContaining({ url: fixtures.media.url, name: 'cat.png' })])

    await fire(page, '.uploader', 'delete', { index: 0 })
    expect(page.instance.data.form.image).toBe('')
    expect(page.instance.data.files).toHaveLength(0)
    await fire(page, '.link', 'change', 'https://example.com')
    await fire(page, '.save', 'click')
    expect(writes(calls)[0].data.content.image).toBeNull()
  })

  test('a refused privacy agreement or photo access is said, a cancel is not', async () => {
    const { page } = await open({})
    page.instance.setData({ step: 1 })
    await settle()
    wx.chooseMedia = jest.fn(options => options.fail({ errMsg: 'chooseMedia:fail cancel' }))
    page.querySelector('.uploader').instance.startUpload()
    await settle()
    expect(page.querySelector('.error-image')).toBeFalsy()
    wx.chooseMedia = jest.fn(options => options.fail({ errMsg: 'chooseMedia:fail privacy permission is not authorized' }))
    page.querySelector('.uploader').instance.startUpload()
    await settle()
    expect(text(page, '.error-image')).toContain('请先同意隐私保护指引')
  })

  test('a refused upload says why', async () => {
    const { page } = await open({})
    uploads(() => ({ statusCode: 400, body: { error: 'Invalid image', details: [{ field: 'file', message: '只支持 JPG 或 PNG 图片' }] } }))
    await fillTime(page)
    await page.instance.next()
    await settle()
    await fire(page, '.uploader', 'after-read', { file: { url: 'wxfile://tmp/x.gif' } })
    expect(text(page, '.error-image')).toBe('只支持 JPG 或 PNG 图片')
    expect(page.instance.data.form.image).toBe('')
  })

  test('groups and reviewers: search, tick, select all and invert', async () => {
    const { page } = await open({})
    await fillTime(page)
    page.instance.setData({ 'form.text': '你好' })
    await page.instance.next()
    await page.instance.next()
    await settle()
    expect(page.querySelectorAll('.group-option')).toHaveLength(3)
    await fire(page, '.select-all-groups', 'click')
    expect(page.instance.data.form.groups).toEqual(['g1', 'g2', 'g3'])
    await fire(page, '.groups', 'change', ['g1'])
    await fire(page, '.invert-groups', 'click')
    expect(page.instance.data.form.groups).toEqual(['g2', 'g3'])
    expect(text(page, '.groups-chosen')).toBe('已选 2 个群（最多 100 个）')

    await page.instance.next()
    await settle()
    await page.instance.next()
    expect(text(page, '.error-recipients')).toBe('发送预览前请至少选择 1 位审核人')
    await fire(page, '.recipients', 'change', ['r2'])
    expect(page.instance.data.form.previewRecipients).toEqual(['r2'])
    await fire(page, '.invert-recipients', 'click')
    expect(page.instance.data.form.previewRecipients).toEqual(['r1'])
    expect(text(page, '.recipients-chosen')).toBe('已选 1 位审核人')
  })

  test('the preview step shows the server’s warnings instead of a plain “预览已发送”', async () => {
    const warning = '王老师 未订阅小程序消息，需在小程序中重新订阅'
    const { page, calls } = await open({
      'POST /api/tasks': () => ({ status: 201, data: { taskId: 'task-9', message: 'ok' } }),
      'PUT /api/tasks/:taskId': () => ({ data: { taskId: 'task-9', message: 'ok' } }),
      'POST /api/preview': () => ({
        data: fixtures.previewSent({
          recipients: [
            { recipientId: 'r1', name: '张老师', channel: 'miniprogram', status: 'sent', decision: null, message: null },
            { recipientId: 'r2', name: '王老师', channel: 'miniprogram', status: 'no_quota', decision: null, message: warning },
          ],
          warnings: [warning],
        }),
      }),
    })
    await fillTime(page)
    page.instance.setData({ 'form.text': '你好', 'form.groups': ['g1'], 'form.previewRecipients': ['r1', 'r2'] })
    for (let i = 0; i < 4; i += 1) await page.instance.next() // eslint-disable-line no-await-in-loop
    await settle()
    await fire(page, '.send-preview', 'click')
    expect(calls.find(c => c.path === '/api/preview').data).toEqual({ taskId: 'task-9' })
    expect(text(page, '.preview-notice')).toBe('预览已发送，但以下审核人未收到：')
    expect(texts(page, '.preview-warning')).toEqual([warning])

    await fire(page, '.submit', 'click')
    const put = writes(calls).pop()
    expect(put.method).toBe('PUT')
    expect(put.data.status).toBe('scheduled')
    expect(wx.navigateBack).toHaveBeenCalled()
  })

  test('a preview the server refuses lists its problems', async () => {
    const { page } = await open({
      'POST /api/tasks': () => ({ status: 201, data: { taskId: 'task-9', message: 'ok' } }),
      'POST /api/preview': () => ({ status: 400, data: { error: 'Invalid content', validation: { isValid: false, errors: [{ field: 'content.link', message: '链接无法访问' }] } } }),
    })
    await fillTime(page)
    page.instance.setData({ 'form.text': '你好', 'form.groups': ['g1'], 'form.previewRecipients': ['r1'], step: 4 })
    await fire(page, '.send-preview', 'click')
    expect(texts(page, '.preview-problem')).toEqual(['链接无法访问'])
  })

  test('a scheduled task is changed once, at the end, with 保存修改; no step writes into it', async () => {
    const { page, calls } = await open(
      {
        'GET /api/tasks/:taskId': () => ({ data: fixtures.taskDetail() }),
        'PUT /api/tasks/:taskId': () => ({ data: { taskId: 'task-1', message: 'ok' } }),
        'POST /api/preview': () => ({ data: fixtures.previewSent() }),
      },
      { id: 'task-1' },
    )
    expect(page.instance.data.mode).toBe('live')
    expect(text(page, '.live-notice')).toContain('保存修改')
    expect(page.querySelector('.save')).toBeFalsy()
    expect(page.instance.data.form).toMatchObject({ name: '周一课程提醒', date: '2026-03-09', time: '18:00', weekdays: ['1'], groups: ['g1', 'g2', 'g3'] })
    await fire(page, '.name', 'change', '周一课程提醒（新）')
    for (let i = 0; i < 4; i += 1) await page.instance.next() // eslint-disable-line no-await-in-loop
    await settle()
    expect(page.instance.data.step).toBe(4)
    expect(writes(calls)).toHaveLength(0)
    expect(page.querySelector('.submit')).toBeFalsy()

    await fire(page, '.save-changes', 'click')
    expect(writes(calls)).toHaveLength(1)
    expect(writes(calls)[0].data).toMatchObject({ name: '周一课程提醒（新）', schedule: { weekdays: [1] } })
    expect(writes(calls)[0].data.status).toBeUndefined()
    await fire(page, '.send-preview', 'click')
    expect(writes(calls)).toHaveLength(1)
    expect(text(page, '.preview-notice')).toBe('预览已发送，等待审核人确认')
  })

  test('a running task opens read-only instead of the form', async () => {
    await open({ 'GET /api/tasks/:taskId': () => ({ data: fixtures.taskDetail({ status: 'running' }) }) }, { id: 'task-1' })
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/task/task?id=task-1' })
  })

  test('the server’s 400 details are put back on the step that holds the field', async () => {
    const { page } = await open({
      'POST /api/tasks': () => ({ status: 400, data: { error: 'Invalid input', details: [{ field: 'schedule.time', message: '时间必须晚于现在' }] } }),
    })
    await fillTime(page)
    page.instance.setData({ step: 2 })
    await fire(page, '.save', 'click')
    expect(page.instance.data.step).toBe(0)
    expect(text(page, '.error-date')).toBe('时间必须晚于现在')
  })

  test('the privacy popup answers WeChat’s privacy request from the agree button', async () => {
    const { page } = await open({})
    expect(wx.onNeedPrivacyAuthorization).toHaveBeenCalled()
    const resolve = jest.fn()
    wx.onNeedPrivacyAuthorization.mock.calls[0][0](resolve, { referrer: 'wx.chooseMedia' })
    await settle()
    const popup = page.querySelector('.privacy')
    expect(popup.instance.data.show).toBe(true)
    popup.instance.agree({ currentTarget: { id: 'agree-btn' } })
    expect(resolve).toHaveBeenCalledWith({ event: 'agree', buttonId: 'agree-btn' })
  })
})
