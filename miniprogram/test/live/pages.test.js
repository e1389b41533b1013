// The preview and feedback pages against a live `pushtask serve` with real API answers and real
// wx.login codes from its WeChat sandbox. tests/acceptance/test_miniprogram_pages.py starts the server,
// prepares a preview and a pushed task, writes what it made to a JSON file and runs this file with
// PUSHTASK_LIVE=<that file>; without it these tests are skipped.
const fs = require('fs')
const http = require('http')
const { renderPage, settle, text, fire, violations } = require('../helpers')
const contract = require('../openapi/contract')
const config = require('../../config')

const LIVE = process.env.PUSHTASK_LIVE ? JSON.parse(fs.readFileSync(process.env.PUSHTASK_LIVE, 'utf8')) : null
const live = LIVE ? describe : describe.skip

function httpJson(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const req = http.request(
      url,
      { method, headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) } },
      res => {
        const chunks = []
        res.on('data', c => chunks.push(c))
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8')
          let data = raw
          try {
            data = raw ? JSON.parse(raw) : ''
          } catch (e) {
            // not JSON: leave as text
          }
          resolve({ statusCode: res.statusCode, data, header: res.headers })
        })
      },
    )
    req.on('error', reject)
    if (payload) req.write(payload)
    req.end()
  })
}

let openid = ''
const answers = []

live('the mini program against a live server', () => {
  beforeAll(() => {
    config.baseUrl = LIVE.baseUrl
  })
  beforeEach(() => {
    // wx.request → real HTTP; every answer is also checked against the OpenAPI snapshot.
    wx.request = jest.fn(options => {
      const url = new URL(options.url)
      httpJson(options.method, options.url, options.header, options.data)
        .then(res => {
          answers.push(`${options.method} ${url.pathname} → ${res.statusCode}`)
          if (res.statusCode < 300) {
            try {
              contract.checkResponse(options.method, url.pathname, res.statusCode, res.data)
            } catch (e) {
              violations.push(e.message)
            }
          }
          options.success(res)
        })
        .catch(err => options.fail({ errMsg: `request:fail ${err.message}` }))
      return { abort() {} }
    })
    // wx.login on this person's phone: a fresh code from the sandbox's jscode2session.
    wx.login = jest.fn(options => {
      httpJson('POST', `${LIVE.sandboxUrl}/_sandbox/wx-login`, {}, { openid })
        .then(res => options.success({ code: res.data.code, errMsg: 'login:ok' }))
        .catch(() => options.fail({ errMsg: 'login:fail' }))
    })
  })

  async function until(check, what) {
    for (let i = 0; i < 200; i += 1) {
      // eslint-disable-next-line no-await-in-loop
      await settle(2)
      if (check()) return
      // eslint-disable-next-line no-await-in-loop
      await new Promise(resolve => setTimeout(resolve, 25))
    }
    throw new Error(`timed out waiting for ${what}; answers: ${answers.join(', ')}`)
  }

  test('a reviewer signs in with wx.login, reads the preview and confirms it', async () => {
    openid = LIVE.reviewerOpenid
    const page = renderPage('preview')
    page.instance.onLoad({ id: LIVE.previewId })
    await until(() => page.instance.data.preview, 'the preview')
    expect(wx.getStorageSync('pushtask.session').scope).toBe('reviewer')
    expect(text(page, '.task-name')).toBe(`任务：${LIVE.taskName}`)
    expect(text(page, '.state')).toBe('待确认')
    page.querySelector('.confirm').dispatchEvent('click')
    await until(() => page.instance.data.status === 'confirmed', 'the confirmation')
    expect(text(page, '.outcome')).toBe('已确认，任务可以提交了')
    expect(text(page, '.state')).toBe('已确认')
    expect(page.instance.data.decisions[0].text).toContain(LIVE.reviewerName)
    fs.writeFileSync(`${process.env.PUSHTASK_LIVE}.answers`, answers.join('\n'))
  })

  test('a group member opens the ?ptfb= link, is identified by wx.login and leaves feedback', async () => {
    openid = LIVE.memberOpenid
    const page = renderPage('feedback')
    page.instance.onLoad({ ptfb: LIVE.ptfb })
    await fire(page, '.rate', 'change', 5)
    await fire(page, '.text', 'change', '孩子很喜欢这节课')
    page.querySelector('.submit').dispatchEvent('click')
    await until(() => page.instance.data.done || page.instance.data.error || page.instance.data.formError, 'the answer')
    expect(page.instance.data.error).toBe('')
    expect(page.instance.data.formError).toBe('')
    expect(text(page, '.thanks')).toBe('感谢您的反馈！')
    expect(wx.getStorageSync('pushtask.session').scope).toBe('member')
    fs.writeFileSync(`${process.env.PUSHTASK_LIVE}.answers`, answers.join('\n'))
  })
})
