// Browser and API helpers for the admin end-to-end tests (playwright-core + system Chromium).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const BASE_URL = (process.env.PUSHTASK_E2E_URL || '').replace(/\/$/, '')
export const USER = process.env.PUSHTASK_E2E_USER || 'admin'
export const PASSWORD = process.env.PUSHTASK_E2E_PASSWORD || 'admin-pass'
export const SHOTS = path.resolve(process.env.PUSHTASK_E2E_SCREENSHOTS || path.join(here, '../../test-output/screenshots'))
const CHROMIUM = process.env.PUSHTASK_E2E_CHROMIUM || '/usr/bin/chromium'

export const SKIP_REASON = !BASE_URL
  ? 'PUSHTASK_E2E_URL is not set: set it to a running PushTask (e.g. http://127.0.0.1:8100) to run the browser tests'
  : !fs.existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set PUSHTASK_E2E_CHROMIUM`
    : false

export async function launch() {
  fs.mkdirSync(SHOTS, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

export async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0)) // sticky header and aside then sit where they belong
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

/** The <input> of an Element Plus widget marked with data-test (the attribute lands on the input or a wrapper). */
export function input(page, testId) {
  return page.locator(`input[data-test="${testId}"], [data-test="${testId}"] input, textarea[data-test="${testId}"], [data-test="${testId}"] textarea`).first()
}

/** Pick `label` from the el-select marked with data-test (once its dropdown has finished opening). */
export async function choose(page, testId, label) {
  await page.locator(`[data-test="${testId}"]`).first().click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: label }).first()
  await option.waitFor()
  await page.waitForTimeout(250) // the dropdown's open transition; a click during it can be lost
  await option.click()
}

export async function typeDate(page, testId, value) {
  const el = input(page, testId)
  await el.click()
  await el.fill(value)
  await el.press('Enter')
  await page.keyboard.press('Escape').catch(() => {})
}

export async function signIn(page, user = USER, password = PASSWORD) {
  await input(page, 'login-wechatId').fill(user)
  await input(page, 'login-password').fill(password)
  await page.click('[data-test="login-submit"]')
}

/** Call the API with the token the page holds. */
export async function apiCall(page, method, urlPath, body) {
  return page.evaluate(async ({ method, urlPath, body }) => {
    const res = await fetch(`/api${urlPath}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${localStorage.getItem('pushtask.token')}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let data = null
    try { data = JSON.parse(text) } catch { data = text }
    return { status: res.status, data }
  }, { method, urlPath, body })
}


export async function waitForRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-test="task-table"] .el-table__body-wrapper tbody tr.el-table__row').length === n, n, { timeout: 10000 })
}

/** Tick the selection checkbox of the row whose name cell reads `name`. */
export async function selectRow(page, name) {
  const row = page.locator('[data-test="task-table"] .el-table__body-wrapper tr.el-table__row', { has: page.locator('[data-test="task-name"]', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
  await row.locator('.el-checkbox').first().click()
}

/** Wait until the row named `name` shows `status`. */
export async function waitStatus(page, name, status) {
  await page.waitForFunction(([name, status]) => {
    for (const tr of document.querySelectorAll('[data-test="task-table"] .el-table__body-wrapper tr.el-table__row')) {
      if (tr.querySelector('[data-test="task-name"]')?.textContent.trim() === name) return tr.querySelector('[data-status]')?.dataset.status === status
    }
    return false
  }, [name, status], { timeout: 10000 })
}
