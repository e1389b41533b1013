// End-to-end: the admin on a phone (390×844) and a tablet (768×1024) in headless Chromium against a
// running PushTask and its WeChat sandbox. Every page fits the window (no horizontal scrolling,
// no title squeezed to a character per line), the navigation is a drawer, the task list is
// cards, dialogs fit; and on the phone a task is created, previewed, answered in WeChat,
// submitted, pushed, and its per-group results read.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { apiCall, BASE_URL, input, launch, shot, SHOTS, signIn, SKIP_REASON, typeDate } from './helpers.mjs'

if (SKIP_REASON) console.log(`# e2e skipped: ${SKIP_REASON}`)

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
]

/**
 * What does not fit, measured in the page: the document wider than the window, and titles or
 * labels squeezed into a column (≥ 3 lines, narrower than 3 characters).
 */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = []
    const doc = document.documentElement
    if (doc.scrollWidth > window.innerWidth) {
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getClientRects().length)
        .filter((el) => !el.closest('.el-table__body-wrapper, .el-table__header-wrapper, .el-scrollbar, .el-drawer, .el-overlay'))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`)
      problems.push(`scrollWidth ${doc.scrollWidth} > innerWidth ${window.innerWidth}: ${wide.join('; ')}`)
    }
    const titles = document.querySelectorAll('h1, h2, h3, .el-dialog__title, .el-descriptions__label, .el-form-item__label, .el-table th .cell')
    for (const el of titles) {
      const rect = el.getBoundingClientRect()
      const text = el.textContent.trim()
      if (!rect.width || text.length < 3) continue
      const style = getComputedStyle(el)
      const fontSize = parseFloat(style.fontSize)
      const lineHeight = parseFloat(style.lineHeight) || fontSize * 1.4
      const lines = Math.round(rect.height / lineHeight)
      if (lines >= 3 && rect.width < 3 * fontSize) problems.push(`"${text.slice(0, 20)}" is squeezed to ${Math.round(rect.width)} px over ${lines} lines`)
    }
    return problems
  })
}

/** What the window shows (not the whole page): the README's phone and tablet pictures (docs-*.png). */
async function docShot(page, name) {
  await page.waitForFunction(() => !document.querySelector('.el-message'), null, { timeout: 8000 }).catch(() => {}) // toasts gone
  await page.waitForTimeout(400)
  await page.screenshot({ path: path.join(SHOTS, `docs-${name}.png`) })
}

async function assertFits(page, what) {
  await page.waitForTimeout(300) // transitions (drawer, tags) settle
  const problems = await layoutProblems(page)
  assert.deepEqual(problems, [], `${what} at ${page.viewportSize().width} px`)
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
  assert.ok(scrollWidth <= innerWidth, `${what}: document.documentElement.scrollWidth ${scrollWidth} <= innerWidth ${innerWidth}`)
  assert.equal(innerWidth, page.viewportSize().width, 'the layout viewport is the device width (no zoomed-out page)')
}

describe('the admin on a phone and a tablet', { skip: SKIP_REASON, concurrency: false }, () => {
  const prefix = `e2r${Date.now().toString(36)}`
  const reviewer = `rv-${prefix}`
  const refs = [0, 1, 2].map((i) => `chat-${prefix}-${i}`)
  let browser
  let desk
  let sandbox
  let taskIds = {}
  const consoleErrors = []

  const sb = async (method, path, body) => {
    const res = await fetch(`${sandbox}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })
    return { status: res.status, data: await res.json() }
  }
  const watch = (page) => {
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('dialog', (d) => d.accept())
  }
  async function phoneOrTablet(vp, { signedIn = true } = {}) {
    const storage = signedIn ? await desk.context().storageState() : undefined
    const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, deviceScaleFactor: 1, locale: 'zh-CN', storageState: storage })
    const page = await ctx.newPage()
    watch(page)
    return page
  }

  before(async () => {
    browser = await launch()
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
    desk = await ctx.newPage()
    watch(desk)
    await desk.goto(`${BASE_URL}/login`)
    await signIn(desk)
    await desk.waitForURL((u) => u.pathname === '/tasks')
  })
  after(async () => {
    await browser?.close()
    if (consoleErrors.length) console.log(`# page errors:\n${consoleErrors.join('\n')}`)
  })

  it('has sandbox groups, a WeCom reviewer and tasks in every state to look at', async () => {
    const health = await apiCall(desk, 'GET', '/health')
    sandbox = health.data?.sandbox?.url
    assert.ok(sandbox, `the server runs a WeChat sandbox (PUSHTASK_SANDBOX_PORT): ${JSON.stringify(health.data)}`)
    const dir = await sb('POST', '/_sandbox/directory', {
      groups: refs.map((ref, i) => ({ channel: 'wecom_appchat', ref, name: `${prefix}-三年级${i + 1}班家长群`, memberCount: 40, members: [] })),
      users: [{ userid: reviewer, name: `${prefix}-王老师` }],
    })
    assert.equal(dir.status, 200, JSON.stringify(dir.data))
    const groups = []
    for (const [i, ref] of refs.entries()) {
      const g = await apiCall(desk, 'POST', '/groups', { name: `${prefix}-三年级${i + 1}班家长群`, channel: 'wecom_appchat', channelRef: ref, memberCount: 40 })
      assert.equal(g.status, 201, JSON.stringify(g.data))
      groups.push(g.data.id)
    }
    const r = await apiCall(desk, 'POST', '/recipients', { name: `${prefix}-王老师`, wechatId: `${prefix}_wang`, channel: 'wecom', channelUserId: reviewer })
    assert.equal(r.status, 201, JSON.stringify(r.data))
    const base = {
      schedule: { type: 'recurring', time: '2031-03-03T08:00:00', timezone: 'Asia/Shanghai', recurringInterval: 'weekly', weekdays: [1, 3, 5] },
      content: { text: '各位家长好，本周三下午的家长会改到四楼多功能厅，请准时参加。' }, groups, previewRecipients: [r.data.id],
    }
    for (const [key, extra] of Object.entries({
      weekly: { name: `${prefix}-每周一三五早读提醒（含一个相当长的任务名称）`, status: 'scheduled', priority: 'high' },
      draft: { name: `${prefix}-期末家长会通知`, status: 'draft', priority: 'medium' },
      paused: { name: `${prefix}-寒假作业提醒`, status: 'scheduled', priority: 'low' },
    })) {
      const res = await apiCall(desk, 'POST', '/tasks', { ...base, ...extra })
      assert.equal(res.status, 201, JSON.stringify(res.data))
      taskIds[key] = res.data.taskId
    }
    const paused = await apiCall(desk, 'POST', `/tasks/${taskIds.paused}/pause`, { resumeAt: '2031-04-01T00:00:00Z' })
    assert.equal(paused.status, 200, JSON.stringify(paused.data))
  })

  for (const vp of VIEWPORTS) {
    it(`fits every page at ${vp.width}×${vp.height} (${vp.name})`, async () => {
      const out = await phoneOrTablet(vp, { signedIn: false })
      await out.goto(`${BASE_URL}/login`)
      await out.locator('[data-test="login-submit"]').waitFor()
      await assertFits(out, 'the sign-in page')
      await out.context().close()

      const page = await phoneOrTablet(vp)
      const visit = async (path, ready, name) => {
        await page.goto(`${BASE_URL}${path}`)
        await page.locator(ready).first().waitFor({ timeout: 10000 })
        await assertFits(page, path)
        if (name) await shot(page, `${vp.name}-${name}`)
      }
      await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
      await page.locator('[data-test="task-card"]').first().waitFor()
      await docShot(page, `${vp.name}-task-list`)
      await visit(`/tasks?q=${prefix}`, '[data-test="task-card"]', 'task-list')
      assert.equal(await page.locator('[data-test="task-table"]').count(), 0, 'cards, not the table')
      assert.equal(await page.locator('.aside').count(), 0, 'no sidebar: the menu is a drawer')
      assert.equal(await page.locator('[data-test="task-card"]').count(), 3)
      await visit('/tasks/new', '[data-test="form-name"]', 'task-form')
      await visit(`/tasks/${taskIds.weekly}`, '[data-test="detail-config"]', 'task-detail')
      await visit(`/tasks/${taskIds.paused}`, '[data-test="detail-upcoming"]')
      await visit(`/tasks/${taskIds.draft}/edit`, '[data-test="form-name"]')
      await visit('/templates', 'h1')
      await visit('/reports/feedback', '[data-test="fb-report"]', 'feedback-report')
      await visit('/settings/notifications', '[data-test="notify-settings"]')
      await visit('/admin/groups', '[data-test="groups-table"] .el-table__row')
      await visit('/admin/recipients', '[data-test="recipients-table"] .el-table__row')
      await visit('/admin/users', '[data-test="users-table"] .el-table__row')
      await visit('/no-such-page', 'h1, .el-result')

      // The menu: a drawer that opens from the header and closes on navigation.
      await page.click('[data-test="nav-toggle"]')
      const drawer = page.locator('.el-drawer')
      await drawer.locator('[data-test="nav-groups"]').waitFor()
      await assertFits(page, 'the open menu')
      if (vp.name === 'phone') await docShot(page, `${vp.name}-menu`)
      await drawer.locator('[data-test="nav-groups"]').click()
      await page.waitForURL((u) => u.pathname === '/admin/groups')
      await drawer.waitFor({ state: 'hidden' })

      // Dialogs fit the window.
      await page.click('[data-test="groups-new"]')
      const dialog = page.locator('.el-dialog', { hasText: '添加群' })
      await dialog.waitFor()
      await page.waitForTimeout(400)
      const box = await dialog.boundingBox()
      assert.ok(box.x >= 0 && box.x + box.width <= vp.width, `the dialog (${Math.round(box.x)}…${Math.round(box.x + box.width)}) fits ${vp.width} px`)
      await assertFits(page, 'the group dialog')
      if (vp.name === 'phone') await shot(page, `${vp.name}-dialog`)
      await page.keyboard.press('Escape')
      await page.context().close()
    })
  }

  it('creates a task on a phone, sends a preview, submits it once confirmed and reads each group\'s result', async () => {
    const page = await phoneOrTablet(VIEWPORTS[0])
    await page.goto(`${BASE_URL}/tasks`)
    await page.click('[data-test="nav-toggle"]')
    await page.locator('.el-drawer [data-test="nav-new"]').click()
    await page.waitForURL((u) => u.pathname === '/tasks/new')
    await input(page, 'form-name').fill(`${prefix}-手机上新建的通知`)
    await typeDate(page, 'form-time', '2031-05-06 09:00')
    await input(page, 'form-text').fill('家长们好，明早 8:00 在操场集合，请穿校服🏃')
    await input(page, 'group-search').fill(prefix)
    await page.click('[data-test="group-select-all"]')
    assert.match(await page.locator('[data-test="group-count"]').innerText(), /3 \/ 100/)
    await page.locator('[data-test="recipient-select"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: `${prefix}-王老师` }).click()
    await page.keyboard.press('Escape')
    await page.locator('.el-select__popper').last().waitFor({ state: 'hidden' })
    await assertFits(page, 'the filled form')
    await shot(page, 'phone-task-form-filled')
    await page.evaluate(() => window.scrollTo(0, 0))
    await docShot(page, 'phone-task-form')

    await page.click('[data-test="form-send-preview"]')
    await page.waitForURL((u) => /^\/tasks\/[0-9a-f-]{36}$/.test(u.pathname)) // saved as a draft, then its page
    const item = page.locator('[data-test="preview-item"]').first()
    await item.waitFor()
    assert.equal(await item.getAttribute('data-status'), 'pending')
    assert.equal(await page.locator('h1 [data-status]').getAttribute('data-status'), 'draft')
    assert.equal(await page.locator('[data-test="detail-next"]').getAttribute('data-kind'), 'draft')

    // The reviewer taps 确认 on the card in WeChat; the page follows.
    const msgs = await sb('GET', `/_sandbox/messages?target=${reviewer}`)
    const card = msgs.data.messages.reverse().find((m) => m.msgtype === 'template_card')
    assert.ok(card, 'the reviewer got a preview card')
    const tap = await sb('POST', '/_sandbox/reply', { from: reviewer, taskId: card.payload.template_card.task_id, key: 'confirm' })
    assert.equal(tap.status, 200, JSON.stringify(tap.data))
    await page.waitForFunction(() => document.querySelector('[data-test="preview-item"]')?.dataset.status === 'confirmed', null, { timeout: 15000 })

    // 提交 on the task's own page (no Edit → 提交 detour), then 立即推送.
    await page.click('[data-test="detail-submit"]')
    await page.waitForFunction(() => document.querySelector('h1 [data-status]')?.dataset.status === 'scheduled', null, { timeout: 10000 })
    assert.equal(await page.locator('[data-test="detail-next"]').getAttribute('data-kind'), 'at')
    await page.click('[data-test="detail-push"]')
    await page.locator('.el-message-box__btns .el-button--danger').click()
    await page.waitForFunction(() => document.querySelector('[data-test="push-history"] [data-test="push-status"]')?.dataset.status === 'completed', null, { timeout: 20000 })
    await page.locator('[data-test="push-history"] .el-table__expand-icon').first().click()
    await page.waitForFunction(() => document.querySelectorAll('[data-test="push-groups"] [data-state="sent"]').length === 3, null, { timeout: 10000 })
    const results = await page.locator('[data-test="push-groups"] .el-table__row').allInnerTexts()
    for (const i of [1, 2, 3]) assert.ok(results.some((r) => r.includes(`${prefix}-三年级${i}班家长群`) && r.includes('已发送')), `group ${i} reads 已发送: ${results.join(' | ')}`)
    await assertFits(page, 'the pushed task')
    await shot(page, 'phone-task-pushed')
    await page.evaluate(() => { document.querySelector('[data-test="push-history"]').closest('.card').scrollIntoView(); window.scrollBy(0, -64) }) // below the sticky header
    await docShot(page, 'phone-push-results')
    for (const ref of refs) {
      const got = (await sb('GET', `/_sandbox/messages?target=${ref}`)).data.messages
      assert.ok(got.some((m) => m.msgtype === 'text' && /操场集合/.test(m.payload.text.content)), `${ref} got the text`)
    }
    await page.context().close()
  })

  it('updates an open edit page when the reviewer asks for changes in WeChat, and logs who and what', async () => {
    const page = await phoneOrTablet(VIEWPORTS[1])
    await page.goto(`${BASE_URL}/tasks/${taskIds.draft}/edit`)
    await page.waitForFunction(() => (document.querySelector('input[data-test="form-name"]') || document.querySelector('[data-test="form-name"] input'))?.value.length > 0)
    await page.click('[data-test="form-send-preview"]')
    const state = page.locator('[data-test="preview-state"]')
    await state.waitFor()
    assert.equal(await state.getAttribute('data-status'), 'pending')
    assert.match(await state.innerText(), /等待在微信中确认/)
    const answer = await sb('POST', '/_sandbox/reply', { from: reviewer, text: '修改 请把时间改成周四' })
    assert.equal(answer.status, 200, JSON.stringify(answer.data))
    // No reload: the page follows the preview and stops asking to confirm in WeChat.
    await page.waitForFunction(() => document.querySelector('[data-test="preview-state"]')?.dataset.status === 'modify_requested', null, { timeout: 15000 })
    const text = await state.innerText()
    assert.doesNotMatch(text, /请在微信中确认|等待在微信中确认/)
    assert.match(text, new RegExp(`${prefix}-王老师 要求修改`))
    assert.match(text, /请把时间改成周四/)
    await shot(page, 'tablet-edit-modify-requested')
    await page.evaluate(() => document.querySelector('[data-test="preview-state"]').scrollIntoView({ block: 'center' }))
    await docShot(page, 'tablet-edit-modify-requested')

    await page.goto(`${BASE_URL}/tasks/${taskIds.draft}`)
    const entry = page.locator('[data-test="detail-logs"] .el-table__row').filter({ hasText: '请把时间改成周四' })
    await entry.waitFor()
    const row = await entry.innerText()
    assert.match(row, new RegExp(`${prefix}-王老师`), 'the reviewer by name, not an id')
    assert.match(row, /修改意见/)
    assert.doesNotMatch(row, /previewComment|[0-9a-f]{8}-[0-9a-f]{4}-/)
    await page.context().close()
  })

  it('shows English priority tags whole in the desktop list (no clipped "Medium")', async () => {
    await desk.evaluate(() => localStorage.setItem('pushtask.locale', 'en'))
    try {
      await desk.goto(`${BASE_URL}/tasks?q=${prefix}`)
      await desk.locator('h1', { hasText: 'Push tasks' }).waitFor()
      await desk.locator('[data-test="task-table"] [data-priority="medium"]').first().waitFor()
      const clipped = await desk.evaluate(() => [...document.querySelectorAll('[data-test="task-table"] .el-table__body [data-priority], [data-test="task-table"] .el-table__body [data-status], [data-test="task-table"] .el-table__body [data-preview]')]
        .filter((tag) => {
          const cell = tag.closest('.cell')
          const contentRight = cell.getBoundingClientRect().right - parseFloat(getComputedStyle(cell).paddingRight)
          return tag.getBoundingClientRect().right > contentRight + 0.5 || tag.scrollWidth > tag.clientWidth
        })
        .map((tag) => tag.textContent.trim()))
      assert.deepEqual(clipped, [])
    } finally {
      await desk.evaluate(() => localStorage.setItem('pushtask.locale', 'zh-CN'))
    }
  })

  it('shows the engagement report\'s empty state without chart axes', async () => {
    const page = await phoneOrTablet(VIEWPORTS[1])
    // The real server's answer for a window with nothing in it (a week in 2001).
    const empty = (url) => { const u = new URL(url); u.searchParams.set('startTime', '2001-01-01T00:00:00.000Z'); u.searchParams.set('endTime', '2001-01-08T00:00:00.000Z'); return u.toString() }
    const emptyWindow = (url) => { const u = new URL(url); u.searchParams.set('from', '2001-01-01T00:00:00.000Z'); u.searchParams.set('to', '2001-01-08T00:00:00.000Z'); return u.toString() }
    await page.route('**/api/reports/engagement?*', (route) => route.continue({ url: emptyWindow(route.request().url()) }))
    await page.route('**/api/feedback?*', (route) => route.continue({ url: empty(route.request().url()) }))
    await page.goto(`${BASE_URL}/reports/feedback`)
    await page.locator('[data-test="fb-empty"]').waitFor()
    await page.waitForTimeout(500)
    assert.equal(await page.locator('[data-test="fb-charts"], [data-test="fb-report"] canvas').count(), 0, 'no empty charts with axes')
    await assertFits(page, 'the empty report')
    await page.context().close()
  })

  it('raised no uncaught page errors', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
