// End-to-end: an A/B task from the form (tabs A and B), its badge in the list, the detail's variants
// with the groups each goes to next, and 采用胜出版本 — in headless Chromium against a running PushTask.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiCall, BASE_URL, input, launch, shot, signIn, SKIP_REASON, typeDate } from './helpers.mjs'

describe('A/B variants', { skip: SKIP_REASON, concurrency: false }, () => {
  const prefix = `ab${Date.now().toString(36)}`
  let browser
  let page
  let taskUrl
  const consoleErrors = []

  before(async () => {
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('dialog', (d) => d.accept())
    await page.goto(`${BASE_URL}/login`)
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks')
    for (let i = 0; i < 4; i++) {
      const res = await apiCall(page, 'POST', '/groups', { name: `${prefix}-群${i + 1}`, channel: 'wecom_robot', channelRef: `ref-${prefix}-${i}`, memberCount: 20 + i })
      assert.equal(res.status, 201, JSON.stringify(res.data))
    }
  })
  after(async () => {
    await browser?.close()
    assert.deepEqual(consoleErrors, [])
  })

  it('refuses an A/B test over one group, then saves one over four', async () => {
    await page.goto(`${BASE_URL}/tasks/new`)
    await input(page, 'form-name').fill(`${prefix}-开放日`)
    await typeDate(page, 'form-time', '2031-03-01 10:00')
    await input(page, 'form-text').fill('版本A：周六开放日，欢迎报名')
    await page.click('[data-test="form-start-ab"]')
    // B starts as a copy of A, on its own tab.
    assert.equal(await input(page, 'form-text').inputValue(), '版本A：周六开放日，欢迎报名')
    await input(page, 'form-text').fill('版本B：名额有限！')
    await page.locator('[data-test="form-variants"] .el-tabs__item', { hasText: '版本 A' }).click()
    assert.equal(await input(page, 'form-text').inputValue(), '版本A：周六开放日，欢迎报名')
    await input(page, 'group-search').fill(`${prefix}-群1`)
    await page.click('[data-test="group-select-all"]')
    await page.locator('[data-test="form-ab-short"]').waitFor()
    await page.click('[data-test="form-submit"]')
    await page.locator('.el-form-item__error', { hasText: 'A/B 测试至少需要 2 个群' }).waitFor()
    await input(page, 'group-search').fill(prefix)
    await page.click('[data-test="group-select-all"]')
    await shot(page, 'ab-01-task-form')
    await page.click('[data-test="form-submit"]')
    await page.locator('[data-test="detail-variants"]').waitFor()
    taskUrl = page.url()
    const a = await page.locator('[data-test="detail-variant-groups-A"]').innerText()
    assert.match(a, /（2 个）/)
    await page.locator('[data-test="detail-variants"] .el-tabs__item', { hasText: '版本 B' }).click()
    assert.match(await page.locator('[data-test="detail-variant-groups-B"]').innerText(), /（2 个）/)
    await shot(page, 'ab-02-task-detail')
  })

  it('shows the A/B badge in the list', async () => {
    await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
    const row = page.locator('[data-test="task-table"] .el-table__row', { hasText: `${prefix}-开放日` })
    await row.locator('[data-test="task-ab"]').waitFor()
    assert.equal(await row.locator('[data-test="task-ab"]').innerText(), 'A/B')
  })

  it('adopts the winner: one content again, and the log says so', async () => {
    await page.goto(taskUrl)
    await page.locator('[data-test="detail-variants"] .el-tabs__item', { hasText: '版本 B' }).click()
    await page.click('[data-test="detail-adopt-B"]')
    await page.locator('.el-message-box__btns .el-button--danger').click()
    await page.locator('[data-test="detail-variants"]').waitFor({ state: 'detached' })
    await page.locator('[data-test="preview-text"]', { hasText: '版本B：名额有限！' }).first().waitFor()
    await page.locator('[data-test="detail-logs"] .el-table__row', { hasText: '采用的版本' }).first().waitFor()
    await shot(page, 'ab-03-adopted')
  })
})
