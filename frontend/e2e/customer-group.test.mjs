// End-to-end: a push to a WeCom customer group waits for the group's owner; the admin names the owner
// and reminds them. Headless Chromium against `pushtask serve` with its sandbox (demo customer groups).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiCall, BASE_URL, launch, shot, signIn, SKIP_REASON } from './helpers.mjs'

describe('a customer group waiting for its owner', { skip: SKIP_REASON, concurrency: false }, () => {
  let browser
  let page

  before(async () => {
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
    page = await context.newPage()
    await page.goto(`${BASE_URL}/login`)
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks')
  })
  after(async () => { await browser?.close() })

  it('shows 等待群主 李四 确认发送 on the group and 提醒 reminds the owner', async () => {
    const groups = (await apiCall(page, 'GET', '/groups?limit=500')).data.groups
    const group = groups.find((g) => g.channel === 'wecom_customer_group' && g.ownerName === '李四')
    assert.ok(group, `the demo directory has 李四's customer group: ${JSON.stringify(groups.map((g) => g.name))}`)
    const task = await apiCall(page, 'POST', '/tasks', {
      name: `客户群通知-${Date.now().toString(36)}`,
      schedule: { type: 'once', time: '2031-01-06T18:00:00+08:00' },
      content: { text: '业主您好，本周六上午停水检修 🚰' },
      groups: [group.groupId],
      priority: 'medium',
      status: 'scheduled',
    })
    assert.equal(task.status, 201, JSON.stringify(task.data))
    const { taskId } = task.data
    const push = await apiCall(page, 'POST', '/push', { taskId })
    assert.ok(push.status < 300, JSON.stringify(push.data))
    // The worker hands the mass send to WeCom; the group then waits for its owner.
    for (let i = 0; i < 100; i++) {
      const p = await apiCall(page, 'GET', `/push/${push.data.pushId}`)
      if (p.data.awaitingCount === 1) break
      await page.waitForTimeout(200)
    }
    await page.goto(`${BASE_URL}/tasks/${taskId}`)
    await page.locator('[data-test="push-history"] [data-test="push-refresh"]').first().waitFor()
    await page.locator('[data-test="push-history"] .el-table__expand-icon').first().click()
    const row = page.locator('[data-test="delivery-awaiting"]').first()
    await row.waitFor()
    assert.match(await row.innerText(), /等待群主 李四 确认发送/)
    assert.match(await page.locator('[data-test="push-owners-pending"]').innerText(), /李四（1 个群）/)
    await page.locator('[data-test="delivery-remind"]').first().click()
    await page.waitForFunction(() => /已提醒 1 次/.test(document.querySelector('[data-test="delivery-awaiting"]')?.innerText || ''), null, { timeout: 10000 })
    await shot(page, '40-customer-group-awaiting-owner')
  })
})
