// End-to-end (issue 18, item 7): on an open edit page, the chat preview as a chosen group gets it
// ({{群名}} filled by the server), "send a test to me" to the signed-in user's linked WeChat, and a
// reviewer's 修改 in WeChat appearing in the bell and on the page without a reload. Headless
// Chromium against `pushtask serve` and its WeChat sandbox (URL from /api/health).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiCall, BASE_URL, choose, launch, shot, signIn, SKIP_REASON } from './helpers.mjs'

describe('the edit page follows a reviewer and previews per group', { skip: SKIP_REASON, concurrency: false }, () => {
  const prefix = `e2t${Date.now().toString(36)}`
  const reviewer = `rv-${prefix}`
  const me = `me-${prefix}`
  const groupNames = [`${prefix}-一班`, `${prefix}-二班`]
  let browser
  let page
  let sandbox
  let taskId
  let myRecipient
  const consoleErrors = []

  const sb = async (method, path, body) => {
    const res = await fetch(`${sandbox}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })
    return { status: res.status, data: await res.json() }
  }
  const previewText = () => page.locator('[data-test="preview-text"]').innerText()
  const bellCount = () => page.evaluate(() => {
    const badge = document.querySelector('[data-test="bell-count"] .el-badge__content')
    return badge && getComputedStyle(badge).display !== 'none' ? Number(badge.textContent.trim().replace('+', '')) : 0
  })

  before(async () => {
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    await page.goto(`${BASE_URL}/login`)
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks')
    sandbox = (await apiCall(page, 'GET', '/health')).data?.sandbox?.url
    assert.ok(sandbox, 'the server runs a WeChat sandbox')
    const refs = groupNames.map((_, i) => `chat-${prefix}-${i}`)
    const dir = await sb('POST', '/_sandbox/directory', {
      groups: refs.map((ref, i) => ({ channel: 'wecom_appchat', ref, name: groupNames[i], memberCount: 3, members: [] })),
      users: [{ userid: reviewer, name: `${prefix}-审核` }, { userid: me, name: `${prefix}-管理员本人` }],
    })
    assert.equal(dir.status, 200, JSON.stringify(dir.data))
    const groups = []
    for (const [i, ref] of refs.entries()) {
      const g = await apiCall(page, 'POST', '/groups', { name: groupNames[i], channel: 'wecom_appchat', channelRef: ref, memberCount: 3 })
      assert.equal(g.status, 201, JSON.stringify(g.data))
      groups.push(g.data.id)
    }
    const r = await apiCall(page, 'POST', '/recipients', { name: `${prefix}-审核`, wechatId: `${prefix}_rv`, channel: 'wecom', channelUserId: reviewer })
    assert.equal(r.status, 201, JSON.stringify(r.data))
    const mine = await apiCall(page, 'POST', '/recipients', { name: `${prefix}-管理员本人`, wechatId: `${prefix}_me`, channel: 'wecom', channelUserId: me })
    assert.equal(mine.status, 201, JSON.stringify(mine.data))
    myRecipient = mine.data.id
    const task = await apiCall(page, 'POST', '/tasks', {
      name: `${prefix}-家长会`,
      status: 'draft',
      schedule: { type: 'once', time: '2031-03-04T18:00:00+08:00' },
      content: { text: '{{群名}}的家长：{{日期}}晚上家长会' },
      groups,
      previewRecipients: [r.data.id],
    })
    assert.equal(task.status, 201, JSON.stringify(task.data))
    taskId = task.data.taskId
  })
  after(async () => {
    // Runs share the server: the admin is linked to nobody again.
    if (page) await apiCall(page, 'PUT', '/notifications/settings', { recipientId: null }).catch(() => {})
    await browser?.close()
  })

  it('shows the content as the chosen group gets it, {{群名}} and {{日期}} filled', async () => {
    await page.goto(`${BASE_URL}/tasks/${taskId}/edit`)
    await page.waitForFunction((name) => (document.querySelector('[data-test="preview-text"]')?.textContent || '').startsWith(name), groupNames[0], { timeout: 10000 })
    assert.equal(await previewText(), `${groupNames[0]}的家长：2031年3月4日晚上家长会`)
    await choose(page, 'preview-group', groupNames[1])
    await page.waitForFunction((name) => document.querySelector('[data-test="preview-text"]')?.textContent.startsWith(name), groupNames[1], { timeout: 10000 })
    assert.match(await page.locator('[data-test="chat-preview"]').innerText(), new RegExp(groupNames[1]))
    await shot(page, '30-task-form-preview-per-group')
  })

  it('sends a test to me: first says how to link a WeChat, then reaches the linked one', async () => {
    await page.click('[data-test="form-send-self"]')
    const refused = page.locator('.el-message--error', { hasText: '绑定微信' })
    await refused.waitFor({ timeout: 10000 })
    assert.match(await refused.innerText(), /通知设置/)
    const linked = await apiCall(page, 'PUT', '/notifications/settings', { recipientId: myRecipient })
    assert.equal(linked.status, 200, JSON.stringify(linked.data))
    await page.click('[data-test="form-send-self"]')
    await page.locator('.el-message--success', { hasText: '测试已发到你的企业微信' }).waitFor({ timeout: 15000 })
    const got = (await sb('GET', `/_sandbox/messages?target=${me}`)).data.messages
    assert.deepEqual(got.map((m) => m.msgtype), ['text'], 'the content only, no card to answer')
    assert.equal(got[0].payload.text.content, `${groupNames[0]}的家长：2031年3月4日晚上家长会`)
    // A test asks no one to review: the task's preview state is unchanged.
    assert.equal((await apiCall(page, 'GET', `/tasks/${taskId}`)).data.previewState, 'none')
  })

  it('shows a reviewer\'s 修改 in the bell and on the open edit page without a reload', async () => {
    await page.evaluate(() => { window.__samePage = true })
    await page.click('[data-test="form-send-preview"]')
    const state = page.locator('[data-test="preview-state"]')
    await state.waitFor()
    assert.equal(await state.getAttribute('data-status'), 'pending')
    const before = await bellCount()
    const answer = await sb('POST', '/_sandbox/reply', { from: reviewer, text: '修改 家长会改到周五' })
    assert.equal(answer.status, 200, JSON.stringify(answer.data))
    await page.waitForFunction(() => document.querySelector('[data-test="preview-state"]')?.dataset.status === 'modify_requested', null, { timeout: 15000 })
    assert.match(await state.innerText(), /要求修改/)
    assert.match(await state.innerText(), /家长会改到周五/)
    // The bell's badge counts it before anyone opens the bell (it is asked to look when the page sees the answer).
    await page.waitForFunction((n) => {
      const badge = document.querySelector('[data-test="bell-count"] .el-badge__content')
      return badge && getComputedStyle(badge).display !== 'none' && Number(badge.textContent.trim().replace('+', '')) > n
    }, before, { timeout: 10000 })
    await page.click('[data-test="bell"]')
    const item = page.locator('[data-test="bell-item"]', { hasText: '家长会改到周五' }).first()
    await item.waitFor()
    assert.match(await item.innerText(), new RegExp(`「${prefix}-家长会」需要修改（${prefix}-审核）`))
    assert.equal(await page.evaluate(() => window.__samePage), true, 'the page was not reloaded')
    await shot(page, '31-task-form-modify-in-bell')
  })

  it('shows the same per-group rendering on the task\'s own page, with a test to me there too', async () => {
    await page.goto(`${BASE_URL}/tasks/${taskId}`)
    await page.waitForFunction((name) => (document.querySelector('[data-test="preview-text"]')?.textContent || '').startsWith(name), groupNames[0], { timeout: 10000 })
    await choose(page, 'detail-preview-group', groupNames[1])
    await page.waitForFunction((name) => (document.querySelector('[data-test="preview-text"]')?.textContent || '').startsWith(name), groupNames[1], { timeout: 10000 })
    await page.click('[data-test="detail-send-self"]')
    // The same content again within WeCom's duplicate window: accepted, and the answer says it reaches you once.
    await page.locator('.el-message--success', { hasText: '30 分钟内只送达一次' }).waitFor({ timeout: 15000 })
  })

  it('raised no uncaught page errors', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
