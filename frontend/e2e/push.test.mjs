// End-to-end: the preview → confirm → push flow, templates, bell and feedback report, in headless
// Chromium against a running PushTask and its WeChat sandbox (URL from /api/health).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { apiCall, BASE_URL, input, launch, shot, signIn, SKIP_REASON, typeDate } from './helpers.mjs'

/** A valid w×h RGB PNG (a gradient), built here so no fixture file is needed. */
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type), data])
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(td) >>> 0)
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2
  const raw = Buffer.alloc((w * 3 + 1) * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([x % 256, y % 256, 160], y * (w * 3 + 1) + 1 + x * 3)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

describe('previews, pushes and the report screens', { skip: SKIP_REASON, concurrency: false }, () => {
  const prefix = `e2p${Date.now().toString(36)}`
  const reviewer = `rv-${prefix}`
  const refs = [0, 1, 2].map((i) => `chat-${prefix}-${i}`)
  let browser
  let page
  let sandbox
  let taskUrl
  const consoleErrors = []

  const sb = async (method, path, body) => {
    const res = await fetch(`${sandbox}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })
    return { status: res.status, data: await res.json() }
  }

  before(async () => {
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('pageerror', (e) => consoleErrors.push(e.message))
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) consoleErrors.push(m.text()) })
    page.on('dialog', (d) => d.accept())
    await page.goto(`${BASE_URL}/login`)
    await signIn(page)
    await page.waitForURL((u) => u.pathname === '/tasks')
  })
  after(async () => {
    await browser?.close()
    if (consoleErrors.length) console.log(`# page errors:\n${consoleErrors.join('\n')}`)
  })

  it('has 3 sandbox groups and a WeCom reviewer the sandbox knows', async () => {
    const health = await apiCall(page, 'GET', '/health')
    sandbox = health.data?.sandbox?.url
    assert.ok(sandbox, `the server runs a WeChat sandbox (PUSHTASK_SANDBOX_PORT): ${JSON.stringify(health.data)}`)
    const dir = await sb('POST', '/_sandbox/directory', {
      groups: refs.map((ref, i) => ({ channel: 'wecom_appchat', ref, name: `${prefix}-群${i + 1}`, memberCount: 3, members: [] })),
      users: [{ userid: reviewer, name: `${prefix}-审核` }],
    })
    assert.equal(dir.status, 200, JSON.stringify(dir.data))
    for (const [i, ref] of refs.entries()) {
      const g = await apiCall(page, 'POST', '/groups', { name: `${prefix}-群${i + 1}`, channel: 'wecom_appchat', channelRef: ref, memberCount: 3 })
      assert.equal(g.status, 201, JSON.stringify(g.data))
    }
    const r = await apiCall(page, 'POST', '/recipients', { name: `${prefix}-审核`, wechatId: `${prefix}_rv`, channel: 'wecom', channelUserId: reviewer })
    assert.equal(r.status, 201, JSON.stringify(r.data))
  })

  it('uploads an image with progress and its compressed size, checks the channels and sends a preview', async () => {
    await page.goto(`${BASE_URL}/tasks/new`)
    await input(page, 'form-name').fill(`${prefix}-带图周报`)
    await page.locator('[data-test="form-type"] .el-radio-button', { hasText: '周期' }).first().click()
    await typeDate(page, 'form-time', '2031-01-06 18:00')
    await input(page, 'form-text').fill('本周学习安排见图📷')
    await page.locator('[data-test="image-file"]').setInputFiles({ name: 'week.png', mimeType: 'image/png', buffer: png(320, 200) })
    const info = page.locator('[data-test="image-info"]')
    await info.waitFor()
    assert.match(await info.innerText(), /week\.png.*压缩后 \d+(\.\d)? (B|KB|MB)（320×200）/)
    await page.locator('[data-test="preview-image"]').waitFor()
    await input(page, 'group-search').fill(prefix)
    await page.click('[data-test="group-select-all"]')
    assert.match(await page.locator('[data-test="group-count"]').innerText(), /3 \/ 100/)
    await page.locator('[data-test="recipient-select"]').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: `${prefix}-审核` }).click()
    await page.keyboard.press('Escape')
    await page.click('[data-test="form-feedback"]')
    await page.locator('[data-test="check-ok"]').waitFor({ timeout: 10000 })
    await shot(page, '20-task-form-image-preview')

    // A link the channels cannot carry shows the server's validation before anything is sent.
    await input(page, 'form-link').fill('ftp://example')
    await page.locator('[data-test="check-content"], [data-test="check-channel"]').first().waitFor({ timeout: 10000 })
    await input(page, 'form-link').fill('')
    await page.locator('[data-test="check-ok"]').waitFor({ timeout: 10000 })

    await page.click('[data-test="form-send-preview"]')
    await page.waitForURL((u) => /^\/tasks\/[0-9a-f-]{36}$/.test(u.pathname)) // saved as a draft first, then its detail
    taskUrl = page.url()
    const item = page.locator('[data-test="preview-item"]').first()
    await item.waitFor()
    assert.equal(await item.getAttribute('data-status'), 'pending')
    await shot(page, '21-task-detail-preview-pending')
  })

  it('shows the reviewer confirming through WeChat (a card tap in the sandbox)', async () => {
    const msgs = await sb('GET', `/_sandbox/messages?target=${reviewer}`)
    const card = msgs.data.messages.reverse().find((m) => m.msgtype === 'template_card')
    assert.ok(card, `the reviewer got a preview card: ${JSON.stringify(msgs.data).slice(0, 300)}`)
    const tap = await sb('POST', '/_sandbox/reply', { from: reviewer, taskId: card.payload.template_card.task_id, key: 'confirm' })
    assert.equal(tap.status, 200, JSON.stringify(tap.data))
    // The detail page polls the task; the preview history follows its preview state.
    await page.waitForFunction(() => document.querySelector('[data-test="preview-item"]')?.dataset.status === 'confirmed', null, { timeout: 15000 })
    assert.match(await page.locator('[data-test="preview-decision"]').first().innerText(), /确认/)
    await shot(page, '22-task-detail-preview-confirmed')
    // The saved picture displays from its signed URL (no Authorization header) and the log names the file.
    await page.waitForFunction(() => document.querySelector('[data-test="chat-preview"] [data-test="preview-image"]')?.naturalWidth > 0, null, { timeout: 10000 })
    const log = await page.locator('[data-test="detail-logs"]').innerText()
    assert.match(log, /week\.png/)
    assert.doesNotMatch(log, /[0-9a-f]{64}/)
  })

  it('submits, pushes now and follows every group to sent; the groups received text and image', async () => {
    await page.goto(`${taskUrl}/edit`)
    await page.waitForFunction((name) => (document.querySelector('input[data-test="form-name"]') || document.querySelector('[data-test="form-name"] input'))?.value === name, `${prefix}-带图周报`)
    // The form shows the saved picture and its file name, not its 64-character id.
    assert.match(await page.locator('[data-test="image-saved"]').innerText(), /week\.png/)
    await page.waitForFunction(() => document.querySelector('[data-test="image-saved"] img')?.naturalWidth > 0, null, { timeout: 10000 })
    await page.click('[data-test="form-submit"]')
    await page.waitForURL(/\/tasks\/[^/]+$/)
    await page.locator('[data-test="detail-push"]').click()
    await page.locator('.el-message-box__btns .el-button--danger').click()
    const status = page.locator('[data-test="push-history"] [data-test="push-status"]').first()
    await status.waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test="push-history"] [data-test="push-status"]')?.dataset.status === 'completed', null, { timeout: 20000 })
    await page.locator('[data-test="push-history"] .el-table__expand-icon').first().click()
    await page.waitForFunction(() => document.querySelectorAll('[data-test="push-groups"] [data-state="sent"]').length === 3, null, { timeout: 10000 })
    await shot(page, '23-task-detail-push-completed')
    for (const [i, ref] of refs.entries()) {
      const msgs = (await sb('GET', `/_sandbox/messages?target=${ref}`)).data.messages
      const got = msgs.map((m) => m.msgtype)
      assert.ok(got.includes('text') && got.includes('image'), `${ref} received ${got}`)
      // Members of two groups answer through the feedback link in the text (the report shows them).
      if (i < 2) {
        const token = /ptfb=([\w.-]+)/.exec(msgs.find((m) => m.msgtype === 'text').payload.text.content)?.[1]
        assert.ok(token, 'the pushed text carries a feedback link')
        const fb = await apiCall(page, 'POST', '/feedback', { token, memberId: `m${i}`, rating: 5 - i, content: i ? '时间安排很清楚' : '图片很清楚，谢谢老师' })
        assert.equal(fb.status, 200, JSON.stringify(fb.data))
      }
    }
    // The list offers 立即推送 on the row as well.
    await page.goto(`${BASE_URL}/tasks?q=${prefix}`)
    await page.locator('[data-test="row-push"]').first().waitFor()
  })

  it('saves the content as a template, lists it beside the built-ins and applies it to a new task', async () => {
    await page.goto(`${BASE_URL}/templates`)
    await page.click('[data-test="template-new"]')
    await input(page, 'template-name-input').fill(`${prefix}-模板`)
    await input(page, 'template-text').fill('各位家长：本周五下午放学时间提前到 15:30。')
    await page.click('[data-test="template-save"]')
    await page.locator('[data-test="template-name"]', { hasText: `${prefix}-模板` }).waitFor()
    await page.locator('.el-overlay-dialog').waitFor({ state: 'hidden' })
    await shot(page, '24-templates')
    await page.goto(`${BASE_URL}/tasks/new`)
    await page.click('[data-test="apply-template"]')
    await page.locator('[data-test="template-option"]:visible', { hasText: `${prefix}-模板` }).click()
    await page.waitForFunction(() => /15:30/.test(document.querySelector('[data-test="preview-text"]')?.textContent || ''))
    // Leave no template behind (runs share the server).
    const mine = (await apiCall(page, 'GET', '/preview/templates')).data.filter((tp) => tp.name === `${prefix}-模板`)
    for (const tp of mine) assert.equal((await apiCall(page, 'DELETE', `/preview/templates/${tp.templateId}`)).status, 200)
  })

  it('shows the bell, the notification settings and the feedback report with charts and CSV', async () => {
    await page.goto(`${BASE_URL}/tasks`)
    await page.click('[data-test="bell"]')
    await page.locator('[data-test="bell-list"]').waitFor()
    await page.waitForTimeout(400) // the popover's fade-in
    await shot(page, '25-bell')
    await page.click('[data-test="bell-settings"]')
    await page.locator('[data-test="notify-settings"]').waitFor()
    await page.click('[data-test="notify-save"]')
    await page.locator('.el-message--success').first().waitFor()
    await shot(page, '26-notification-settings')
    await page.goto(`${BASE_URL}/reports/feedback`)
    // The server's first report loads jieba's dictionary (for common opinions): seconds on a busy machine.
    await page.locator('[data-test="fb-chart-days"] canvas').waitFor({ timeout: 30000 })
    // The push above collected feedback from 3 groups: they count as deliveries.
    assert.ok(+(await page.locator('[data-test="fb-stat-deliveries"]').innerText()) >= 3)
    assert.ok(+(await page.locator('[data-test="fb-stat-responses"]').innerText()) >= 2)
    await page.locator('[data-test="fb-list"] .el-table__row', { hasText: `${prefix}-群1` }).filter({ hasText: '图片很清楚' }).waitFor()
    await page.waitForTimeout(600) // chart entry animation
    await shot(page, '27-feedback-report')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test="fb-export"]')])
    let text = ''
    for await (const chunk of await download.createReadStream()) text += chunk
    assert.ok(text.length > 0, 'the report CSV has a header at least')
  })

  it('raised no uncaught page errors', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
