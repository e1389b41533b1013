// End-to-end: the admin in headless Chromium against a running PushTask (PUSHTASK_E2E_URL).
// Each run works on its own tasks, named with a unique prefix, so it can share a server.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import {
  apiCall, BASE_URL, choose, input, launch, selectRow, shot, signIn, SKIP_REASON, typeDate, waitForRows, waitStatus,
} from './helpers.mjs'

if (SKIP_REASON) console.log(`# e2e skipped: ${SKIP_REASON}`)

describe('PushTask admin in the browser', { skip: SKIP_REASON, concurrency: false }, () => {
  const prefix = `e2e${Date.now().toString(36)}`
  let browser
  let page
  let groupNames = []
  const consoleErrors = []

  before(async () => {
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) consoleErrors.push(m.text()) })
    page.on('dialog', (d) => d.accept()) // "leave with unsaved changes?" when a test moves on
  })
  after(async () => {
    await browser?.close()
    if (consoleErrors.length) console.log(`# page errors:\n${consoleErrors.join('\n')}`)
  })

  it('signs in and returns to the page that was asked for', async () => {
    await page.goto(`${BASE_URL}/tasks?status=draft`)
    await page.waitForURL(/\/login\?redirect=/)
    await shot(page, '01-login')
    await signIn(page, 'nobody', 'wrong-password')
    await page.locator('[data-test="login-error"]').waitFor()
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks' && u.searchParams.get('status') === 'draft')
    await page.locator('[data-test="task-table"]').waitFor()
  })

  it('has groups and a reviewer to work with (created through the admin API when missing)', async () => {
    let res = await apiCall(page, 'GET', '/groups?limit=100')
    assert.equal(res.status, 200, JSON.stringify(res.data))
    const channels = ['wecom_robot', 'wecom_appchat', 'bot_bridge']
    for (let i = 0; i < 3; i++) {
      const name = `${prefix}-群${i + 1}`
      const created = await apiCall(page, 'POST', '/groups', { name, channel: channels[i], channelRef: `ref-${prefix}-${i}`, memberCount: 30 + i })
      assert.equal(created.status, 201, JSON.stringify(created.data))
      groupNames.push(name)
    }
    // The flows below schedule tasks directly, which an org that requires preview approval refuses.
    const probe = await apiCall(page, 'POST', '/tasks', {
      name: `${prefix}-探针`, schedule: { type: 'once', time: '2031-01-01T10:00:00Z', timezone: 'Asia/Shanghai' },
      content: { text: 'probe' }, groups: [(await apiCall(page, 'GET', `/groups?q=${prefix}`)).data.groups[0].groupId], status: 'scheduled',
    })
    assert.equal(probe.status, 201, `start the e2e server with PUSHTASK_APPROVAL_REQUIRED=0 (its first org must not require preview approval): ${JSON.stringify(probe.data)}`)
    await apiCall(page, 'POST', `/tasks/${probe.data.taskId}/pause`, {})
    await apiCall(page, 'DELETE', `/tasks/${probe.data.taskId}`)

    const r = await apiCall(page, 'POST', '/recipients', { name: `${prefix}-王老师`, wechatId: `${prefix}_wang`, channel: 'wecom', channelUserId: `wang-${prefix}` })
    assert.equal(r.status, 201, JSON.stringify(r.data))
  })

  it('creates a weekly task for 3 groups from the form', async () => {
    await page.goto(`${BASE_URL}/tasks/new`)
    await input(page, 'form-name').fill(`${prefix}-周一课程提醒`)
    await page.locator('[data-test="form-type"] label, [data-test="form-type"] .el-radio-button').filter({ hasText: '周期' }).first().click()
    await typeDate(page, 'form-time', '2031-01-06 18:00')
    await page.locator('[data-test="form-weekdays"] .el-checkbox-button', { hasText: '周三' }).click()
    await input(page, 'form-text').fill('家长们好👨‍👩‍👧‍👦\n今晚 18:00 上课🇨🇳')
    assert.match(await page.locator('[data-test="text-counter"]').innerText(), /^18 \/ 500/)
    await input(page, 'group-search').fill(prefix)
    await page.click('[data-test="group-select-all"]')
    assert.match(await page.locator('[data-test="group-count"]').innerText(), /3 \/ 100/)
    await page.locator('[data-test="recipient-select"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: `${prefix}-王老师` }).click()
    await page.keyboard.press('Escape')
    assert.equal(await page.locator('[data-test="form-rule-text"]').innerText(), '每周一、周三 18:00 (Asia/Shanghai)')
    assert.match(await page.locator('[data-test="preview-text"]').innerText(), /家长们好/)
    await shot(page, '03-task-form')
    await page.click('[data-test="form-submit"]')
    await page.waitForURL(/\/tasks\/[^/]+$/)
    await page.locator('[data-test="detail-config"]').waitFor()
    await page.locator('[data-test="detail-groups"] .el-table__row').nth(2).waitFor()
    assert.equal(await page.locator('[data-test="detail-groups"] .el-table__row').count(), 3)
    await page.locator('[data-test="detail-logs"] .el-table__row').first().waitFor()
    await shot(page, '04-task-detail')
  })

  it('offers to keep a task as a draft when the server will not schedule it yet (approval gate)', async () => {
    await page.goto(`${BASE_URL}/tasks/new`)
    await input(page, 'form-name').fill(`${prefix}-待审批`)
    await typeDate(page, 'form-time', '2031-02-03 09:00')
    await input(page, 'form-text').fill('需要先预览确认')
    await input(page, 'group-search').fill(prefix)
    await page.click('[data-test="group-select-all"]')
    const reason = '当前内容尚未经预览确认，不能提交；请先发送预览并等待接收人回复“确认”，或先保存为草稿'
    // Answer the first POST as an org that requires approval does (the e2e server runs without it).
    await page.route('**/api/tasks', (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: 'Conflict', reason }) })
      : route.fallback()), { times: 1 })
    await page.click('[data-test="form-submit"]')
    const box = page.locator('.el-message-box', { hasText: '暂时不能提交' })
    await box.waitFor()
    assert.match(await box.innerText(), /尚未经预览确认/)
    await shot(page, '03c-task-form-approval-gate')
    await box.locator('.el-button--primary').click()
    await page.waitForURL(/\/tasks\/[^/]+$/)
    await page.locator('[data-test="detail-config"]').waitFor()
    assert.equal(await page.locator('h1 [data-status]').getAttribute('data-status'), 'draft')
  })

  it('puts the server 400 field errors on the form fields', async () => {
    await page.goto(`${BASE_URL}/tasks/new`)
    await input(page, 'form-name').fill(`${prefix}-被拒绝`)
    await typeDate(page, 'form-time', '2031-01-06 18:00')
    // Answer this one POST as a server that rejects the input would, to check the mapping.
    await page.route('**/api/tasks', (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'Invalid input', details: [{ field: 'name', message: '同名任务已存在' }, { field: 'schedule.weekdays[0]', message: 'x' }] }) })
      : route.fallback()), { times: 1 })
    try {
      await page.click('[data-test="form-save-draft"]')
      await page.locator('.el-form-item__error', { hasText: '同名任务已存在' }).waitFor()
      await page.locator('.el-alert', { hasText: '星期: x' }).waitFor()
      await shot(page, '03b-task-form-errors')
    } finally {
      await page.unroute('**/api/tasks')
    }
  })

  it('lists, filters, sorts and paginates', async () => {
    // 23 more tasks through the API: enough for two pages.
    const gs = (await apiCall(page, 'GET', `/groups?q=${prefix}&limit=100`)).data.groups.map((g) => g.groupId)
    const pri = ['high', 'medium', 'low']
    for (let i = 0; i < 23; i++) {
      const res = await apiCall(page, 'POST', '/tasks', {
        name: `${prefix}-批量${String(i).padStart(2, '0')}`,
        schedule: { type: 'once', time: new Date(Date.UTC(2031, 0, 1 + i, 10)).toISOString(), timezone: 'Asia/Shanghai' },
        content: { text: `第 ${i} 条` }, groups: [gs[i % 3]], priority: pri[i % 3],
        status: i % 2 ? 'draft' : 'scheduled', previewRecipients: [],
      })
      assert.equal(res.status, 201, JSON.stringify(res.data))
    }
    // Time until the 20-row list is on screen and answers clicks, from navigation start, read
    // from the page's own mark. Cold: a fresh browser context (empty cache, same token); warm: reloads.
    const url = `${BASE_URL}/tasks?q=${prefix}`
    const measure = async (p) => {
      await p.waitForFunction(() => document.body.dataset.tasksReady === '1', null, { timeout: 15000 })
      await waitForRows(p, 20)
      return p.evaluate(() => Math.round(performance.getEntriesByName('pushtask:tasks-ready')[0].startTime))
    }
    const storage = await page.context().storageState()
    const cold = await browser.newContext({ viewport: { width: 1280, height: 860 }, storageState: storage })
    const coldPage = await cold.newPage()
    await coldPage.goto(url)
    const coldMs = await measure(coldPage)
    await cold.close()
    const warm = []
    for (let i = 0; i < 5; i++) {
      await page.goto(url)
      warm.push(await measure(page))
    }
    warm.sort((a, b) => a - b)
    console.log(`# task list, 20 rows, interactive after: cold ${coldMs} ms; warm median ${warm[2]} ms (runs ${warm.join(', ')} ms)`)
    assert.ok(warm[2] < 2000, `PRD §4.2: the list loads in < 2 s; warm median was ${warm[2]} ms`)
    await shot(page, '02-task-list')

    const { total } = (await apiCall(page, 'GET', `/tasks?q=${prefix}&limit=1`)).data
    assert.ok(total > 20 && total < 40, `two pages of this run's tasks, got ${total}`)
    assert.match(await page.locator('.el-pagination__total').innerText(), new RegExp(`\\b${total}\\b`))
    await page.locator('[data-test="pager"] .number', { hasText: '2' }).click()
    await page.waitForURL(/page=2/)
    await waitForRows(page, total - 20)

    await choose(page, 'filter-status', '草稿')
    await page.keyboard.press('Escape')
    await page.waitForURL(/status=draft/)
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test="task-table"] [data-status]')].every((e) => e.dataset.status === 'draft'))
    assert.ok(!page.url().includes('page=2'), 'a new filter starts at page 1')

    await page.locator('[data-test="task-table"] th', { hasText: '优先级' }).locator('.sort-caret.descending').click()
    await page.waitForURL(/sort=-priority/)
    await page.waitForTimeout(300)
    const firstPriority = await page.locator('[data-test="task-table"] .el-table__body-wrapper tr.el-table__row').first().locator('[data-priority]').getAttribute('data-priority')
    assert.equal(firstPriority, 'high')
    await page.click('[data-test="filter-clear"]')
    await page.waitForURL((u) => !u.search.includes('status='))
  })

  it('pauses, resumes and deletes in batch, and says which tasks failed', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}-批量0&sort=name`)
    await waitForRows(page, 10)
    const scheduled = [`${prefix}-批量00`, `${prefix}-批量02`, `${prefix}-批量04`]
    for (const n of scheduled) await selectRow(page, n)
    await page.click('[data-test="batch-pause"]')
    await page.click('[data-test="pause-confirm"]')
    await page.locator('[data-test="batch-result"]').waitFor()
    await page.click('[data-test="batch-result-close"]')
    for (const n of scheduled) await waitStatus(page, n, 'paused')
    await shot(page, '05-batch-paused')

    // Selection survives the 5 s polling.
    await page.waitForTimeout(5600)
    assert.match(await page.locator('[data-test="batch-bar"]').innerText(), /已选 3 项/)

    await page.click('[data-test="batch-resume"]')
    await page.locator('[data-test="batch-result"]').waitFor()
    await page.click('[data-test="batch-result-close"]')
    for (const n of scheduled) await waitStatus(page, n, 'scheduled')

    // Two drafts and one scheduled task: the scheduled one cannot be deleted.
    await page.locator('[data-test="batch-bar"] .el-button', { hasText: '取消选择' }).click()
    for (const n of [`${prefix}-批量01`, `${prefix}-批量03`, `${prefix}-批量00`]) await selectRow(page, n)
    await page.click('[data-test="batch-delete"]')
    const list = page.locator('[data-test="batch-delete-list"]')
    await list.waitFor()
    assert.match(await list.innerText(), new RegExp(`${prefix}-批量01`))
    await shot(page, '06-batch-delete-confirm')
    await page.locator('.el-message-box__btns .el-button--danger').click()
    await page.locator('[data-test="batch-failed"]').waitFor()
    const failed = await page.locator('[data-test="batch-failed"] .el-table__row').allInnerTexts()
    assert.equal(failed.length, 1)
    assert.match(failed[0], new RegExp(`${prefix}-批量00`))
    await shot(page, '07-batch-result')
    await page.click('[data-test="batch-result-close"]')
    await waitForRows(page, 8)
  })

  it('edits reviewers of several tasks at once', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}-批量1&sort=name`)
    await waitForRows(page, 10)
    for (const n of [`${prefix}-批量10`, `${prefix}-批量11`]) await selectRow(page, n)
    await page.click('[data-test="batch-edit"]')
    await page.click('[data-test="batch-pick-reviewers"]')
    await page.locator('.el-dialog [data-test="recipient-select"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: `${prefix}-王老师` }).click()
    await page.keyboard.press('Escape')
    await shot(page, '06a-batch-edit')
    await page.click('[data-test="batch-edit-confirm"]')
    await page.locator('[data-test="batch-result"]').waitFor()
    assert.match(await page.locator('[data-test="batch-result"]').innerText(), /2/)
    await page.click('[data-test="batch-result-close"]')
    await page.waitForFunction((who) => [...document.querySelectorAll('[data-test="task-table"] .el-table__body-wrapper tr.el-table__row')]
      .filter((tr) => tr.textContent.includes(who)).length === 2, `${prefix}-王老师`)
  })

  it('edits a task and shows the change in its log', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}-周一`)
    await waitForRows(page, 1)
    await page.waitForSelector('[data-test="task-table"] .el-loading-mask', { state: 'detached' }).catch(() => {})
    await page.locator('[data-test="task-groups"]').first().hover()
    await page.locator('[data-test="group-names"]', { hasText: `${prefix}-群3` }).waitFor()
    assert.equal(await page.locator('[data-test="group-names"] > div').count(), 3)
    await page.locator('[data-test="row-edit"]').first().click()
    await page.waitForURL(/\/edit$/)
    await input(page, 'form-name').fill(`${prefix}-周一课程提醒（改）`)
    await page.click('[data-test="form-submit"]')
    await page.waitForURL(/\/tasks\/[^/]+$/)
    const log = page.locator('[data-test="detail-logs"] .el-table__row', { hasText: '（改）' })
    await log.first().waitFor()
    assert.match(await log.first().innerText(), new RegExp(`${prefix}-周一课程提醒\\s*→\\s*${prefix}-周一课程提醒（改）`))
    await page.locator('[data-test="detail-upcoming"] li').first().waitFor()
    await shot(page, '04b-task-detail-after-edit')
  })

  it('updates a running task live and shows why it failed', async () => {
    // A task due in a few seconds; the test groups have made-up channel keys, so the
    // worker's delivery fails and the reason must reach the operator.
    const gs = (await apiCall(page, 'GET', `/groups?q=${prefix}&limit=100`)).data.groups.map((g) => g.groupId)
    const res = await apiCall(page, 'POST', '/tasks', {
      name: `${prefix}-马上推送`, schedule: { type: 'once', time: new Date(Date.now() + 4000).toISOString(), timezone: 'Asia/Shanghai' },
      content: { text: '马上推送' }, groups: gs.slice(0, 1), priority: 'high', status: 'scheduled', previewRecipients: [],
    })
    assert.equal(res.status, 201, JSON.stringify(res.data))
    await page.goto(`${BASE_URL}/tasks?q=${prefix}-马上`)
    await waitForRows(page, 1)
    await page.evaluate(() => { window.__samePage = true })
    await page.waitForFunction(() => ['completed', 'failed'].includes(document.querySelector('[data-test="task-table"] [data-status]')?.dataset.status), null, { timeout: 30000 })
    assert.equal(await page.evaluate(() => window.__samePage), true, 'the status changed by polling, not by a reload')
    const status = await page.locator('[data-test="task-table"] [data-status]').first().getAttribute('data-status')
    console.log(`# live status update: scheduled → ${status} without reloading`)
    if (status === 'failed') {
      await page.locator('[data-test="task-table"] .failed-tag').first().hover()
      await page.locator('[data-test="failure-reason"]').first().waitFor()
      console.log(`# failure reason on hover: ${await page.locator('[data-test="failure-reason"]').first().innerText()}`)
      await shot(page, '02b-task-list-failure-reason')
    }
    await page.locator('[data-test="task-name"]').first().click()
    const result = page.locator('[data-test="detail-last-result"]')
    await result.waitFor({ timeout: 15000 })
    if (status === 'failed') assert.ok((await result.locator('.reason').count()) > 0, 'a failed push names the reason per group')
    await shot(page, '04c-task-detail-failed')
  })

  it('exports the filtered list as CSV', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
    await page.locator('[data-test="task-table"]').waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test="export-csv"]')])
    const stream = await download.createReadStream()
    let text = ''
    for await (const chunk of stream) text += chunk
    assert.ok(text.startsWith('\ufeff'), 'CSV starts with a UTF-8 BOM for Excel')
    assert.match(text, new RegExp(`${prefix}-周一课程提醒`))
    console.log(`# CSV export: ${download.suggestedFilename()}, ${text.split('\n').filter(Boolean).length} lines`)
  })

  it('sends an expired session back to sign-in and then back to the page', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
    await page.locator('[data-test="task-table"]').waitFor()
    await page.evaluate(() => localStorage.setItem('pushtask.token', 'expired-or-revoked'))
    await page.waitForURL(/\/login\?redirect=/, { timeout: 8000 }) // the next 5 s poll gets 401
    await page.locator('[data-test="login-expired"]').waitFor()
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks' && u.searchParams.get('q') === prefix)
  })

  it('manages groups and users from the admin pages', async () => {
    // A group: create (the channel reference is write-only), then delete.
    await page.goto(`${BASE_URL}/admin/groups`)
    await page.locator('[data-test="groups-table"] .el-table__row').first().waitFor()
    await page.click('[data-test="groups-new"]')
    await input(page, 'group-name').fill(`${prefix}-新群`)
    await input(page, 'group-ref').fill('robot-key-secret')
    await page.click('[data-test="group-save"]')
    await page.locator('.el-dialog', { hasText: '添加群' }).waitFor({ state: 'hidden' })
    await input(page, 'groups-search').fill(`${prefix}-新群`)
    await input(page, 'groups-search').press('Enter')
    const row = page.locator('[data-test="groups-table"] .el-table__row', { hasText: `${prefix}-新群` })
    await row.waitFor()
    assert.ok(!(await page.content()).includes('robot-key-secret'), 'the secret is never shown back')
    await shot(page, '08-groups')
    await row.locator('.el-button', { hasText: '删除' }).click()
    await page.locator('.el-message-box__btns .el-button--danger').click()
    await row.waitFor({ state: 'detached' })

    // A user: create, reset the password, delete.
    await page.goto(`${BASE_URL}/admin/users`)
    await page.locator('[data-test="users-table"] .el-table__row').first().waitFor()
    await page.click('[data-test="users-new"]')
    await input(page, 'user-wechatId').fill(`${prefix}_op`)
    await input(page, 'user-name').fill('运营小李')
    await input(page, 'user-password').fill('operator-pass-1')
    await page.click('[data-test="user-save"]')
    const user = page.locator('[data-test="users-table"] .el-table__row', { hasText: `${prefix}_op` })
    await user.waitFor()
    await user.locator('.el-button', { hasText: '重置密码' }).click()
    await input(page, 'user-password').fill('operator-pass-2')
    await page.click('[data-test="user-save"]')
    await page.locator('.el-message', { hasText: '密码已重置' }).waitFor()
    await shot(page, '10-users')
    await user.locator('.el-button', { hasText: '删除' }).click()
    await page.locator('.el-message-box__btns .el-button--danger').click()
    await user.waitFor({ state: 'detached' })

    await page.goto(`${BASE_URL}/admin/recipients`)
    await page.locator('[data-test="recipients-table"] .el-table__row').first().waitFor()
    await shot(page, '09-recipients')
  })

  it('gives a viewer the list without write actions or admin pages', async () => {
    const res = await apiCall(page, 'POST', '/users', { wechatId: `${prefix}_viewer`, name: '只读同事', password: 'viewer-pass-1', role: 'viewer' })
    assert.equal(res.status, 201, JSON.stringify(res.data))
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const viewer = await ctx.newPage()
    try {
      await viewer.goto(`${BASE_URL}/login`)
      await signIn(viewer, `${prefix}_viewer`, 'viewer-pass-1')
      await viewer.waitForURL((u) => u.pathname === '/tasks')
      await viewer.locator('[data-test="task-table"] .el-table__row').first().waitFor()
      assert.equal(await viewer.locator('[data-test="new-task"], [data-test="row-edit"], [data-test="row-delete"], .el-table-column--selection .el-checkbox').count(), 0)
      assert.equal(await viewer.locator('[data-test="nav-groups"]').count(), 0)
      await viewer.goto(`${BASE_URL}/admin/users`)
      await viewer.waitForURL((u) => u.pathname === '/tasks')
      await shot(viewer, '13-viewer-task-list')
    } finally {
      await ctx.close()
    }
  })

  it('switches to English', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
    await choose(page, 'lang', 'English')
    await page.locator('h1', { hasText: 'Push tasks' }).waitFor()
    assert.match(await page.locator('[data-test="export-csv"]').innerText(), /Export CSV/)
    // The rule text comes from the server in the language asked for: it follows after a refetch.
    await page.waitForFunction(() => /^(Once|Every|Daily|Weekly|Monthly)/.test(document.querySelector('[data-test="task-rule"]')?.textContent.trim() || ''), null, { timeout: 10000 })
    await shot(page, '11-task-list-en')
    await page.goto(`${BASE_URL}/tasks/new`)
    await page.locator('h1', { hasText: 'New push task' }).waitFor()
    await shot(page, '12-task-form-en')
    await choose(page, 'lang', '简体中文')
  })

  it('reports what the sign-in page and the task list download', async () => {
    // Sizes as served (each asset fetched again and gzipped here), so the figure does not depend
    // on whether the server in front compresses.
    const sizes = async (p) => {
      const urls = await p.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/assets/')))
      const out = { js: [0, 0], css: [0, 0], files: urls.length }
      for (const u of urls) {
        const body = await (await p.request.get(u)).body()
        const kind = u.endsWith('.css') ? 'css' : 'js'
        out[kind][0] += body.length
        out[kind][1] += zlib.gzipSync(body).length
      }
      return out
    }
    const kb = ([raw, gz]) => `${Math.round(raw / 1024)} kB (${Math.round(gz / 1024)} kB gzip)`
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const fresh = await ctx.newPage()
    await fresh.goto(`${BASE_URL}/login`)
    await fresh.locator('[data-test="login-submit"]').waitFor()
    const login = await sizes(fresh)
    await signIn(fresh)
    await fresh.waitForURL((u) => u.pathname === '/tasks')
    await fresh.goto(`${BASE_URL}/tasks?q=${prefix}`)
    await fresh.waitForFunction(() => document.body.dataset.tasksReady === '1')
    const list = await sizes(fresh)
    await ctx.close()
    console.log(`# sign-in page: JS ${kb(login.js)}, CSS ${kb(login.css)}, ${login.files} files`)
    console.log(`# task list page: JS ${kb(list.js)}, CSS ${kb(list.css)}, ${list.files} files`)
    assert.ok(login.js[1] < 200 * 1024, 'the first screen stays under 200 kB of gzipped JS')
  })

  it('syncs WeCom customer groups from the groups page and shows their owners', async () => {
    await page.goto(`${BASE_URL}/admin/groups`)
    await page.locator('[data-test="groups-table"]').waitFor()
    await page.click('[data-test="groups-sync"]')
    await page.locator('.el-message--success', { hasText: '同步完成' }).waitFor()
    await input(page, 'groups-search').fill('阳光小区业主群')
    await input(page, 'groups-search').press('Enter')
    const row = page.locator('[data-test="groups-table"] .el-table__row', { hasText: '阳光小区业主群' })
    await row.first().waitFor()
    assert.match(await row.first().innerText(), /李四/)
    await shot(page, '20-groups-customer-sync')
  })

  it('raised no uncaught page errors', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
