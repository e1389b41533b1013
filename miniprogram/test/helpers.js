// Test helpers: a fixture HTTP layer behind wx.request whose answers and request bodies are checked
// against the server's OpenAPI document, and page rendering through miniprogram-simulate with the
// page's .json (and app.json's global components) resolved as the mini program resolves them.
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const simulateUtils = require('miniprogram-simulate/src/utils')
const contract = require('./openapi/contract')

const ROOT = path.resolve(__dirname, '..')
const TOKEN = 'header.payload.signature'
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

// The mini program's component resolution: a path that is neither relative nor absolute names an npm
// package, found in miniprogram_npm/ (what 构建 npm makes); app.json's usingComponents apply to every page.
const readJson = simulateUtils.readJson
simulateUtils.readJson = file => {
  const json = readJson(file)
  if (!json) return json
  const isPage = APP.pages.some(p => path.join(ROOT, `${p}.json`) === file)
  const using = { ...(isPage ? APP.usingComponents || {} : {}), ...(json.usingComponents || {}) }
  Object.keys(using).forEach(tag => {
    const value = using[tag]
    if (value[0] === '.' || value[0] === '/') return
    const built = path.join(ROOT, 'miniprogram_npm', `${value}.json`)
    if (!fs.existsSync(built)) throw new Error(`${file}: ${tag} → ${value} is not in miniprogram_npm (npm test builds it)`)
    using[tag] = `/miniprogram_npm/${value}`
  })
  return { ...json, component: isPage ? true : json.component, usingComponents: using }
}

/**
 * Answer wx.request from `routes` {'METHOD /path/:param': req => ({status, data, header}) | 'network'}.
 * Every answer and every JSON body sent is checked against the OpenAPI snapshot (contract.js); set
 * `unchecked: true` in an answer only for a deliberately malformed one. Returns the requests made.
 */
// Contract violations are collected and fail the test in afterEach (test/setup.js): a throw inside
// wx.request would only reject the page's promise and could go unnoticed.
const violations = []
function violation(check) {
  try {
    check()
  } catch (e) {
    violations.push(e.message)
  }
}

function serve(routes) {
  const table = Object.keys(routes).map(key => {
    const [method, pattern] = key.split(' ')
    const names = []
    const regex = new RegExp(
      `^${pattern.replace(/:([A-Za-z]+)/g, (_, name) => {
        names.push(name)
        return '([^/]+)'
      })}$`,
    )
    return { method, regex, names, handler: routes[key] }
  })
  const calls = []
  wx.request = jest.fn(options => {
    const url = new URL(options.url)
    const call = {
      method: options.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      data: options.data,
      header: options.header,
      params: {},
    }
    calls.push(call)
    violation(() => contract.checkRequest(call.method, call.path, call.data))
    const route = table.find(r => r.method === options.method && r.regex.test(url.pathname))
    if (route) {
      const match = url.pathname.match(route.regex)
      route.names.forEach((name, i) => {
        call.params[name] = decodeURIComponent(match[i + 1])
      })
    }
    let finish
    const done = new Promise(resolve => {
      finish = resolve
    })
    call.answered = done
    const answer = route ? route.handler(call) : { status: 404, data: { error: 'Not Found' } }
    Promise.resolve(answer).then(resolved => {
      setTimeout(() => {
        if (resolved === 'network') {
          options.fail({ errMsg: 'request:fail' })
        } else {
          const status = resolved.status || 200
          if (route && !resolved.unchecked) violation(() => contract.checkResponse(call.method, call.path, status, resolved.data))
          options.success({ statusCode: status, data: resolved.data, header: resolved.header || {} })
        }
        finish()
      }, 0)
    })
    return { abort() {} }
  })
  return calls
}

function signIn(overrides) {
  wx.setStorageSync('pushtask.session', {
    token: TOKEN,
    expiresAt: new Date(Date.now() + 8 * 3600 * 1000).toISOString(),
    scope: 'operator',
    user: { id: 'u1', wechatId: 'olga', name: '奥尔加', role: 'operator', orgId: 'o1', orgName: '示例学校' },
    reviewer: null,
    memberId: null,
    ...overrides,
  })
}

// Jest keeps its own module registry, so a page's JS runs (and registers) once per test file: load once.
const loaded = {}

/** Render a page (a Component-constructed page), attach it, and run onLoad(query) like the framework. */
function renderPage(name) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'pages', name, name), { rootPath: ROOT })
  const page = simulate.render(loaded[name])
  page.attach(document.createElement('parent-wrapper'))
  return page
}

/** Let pending fixture responses and their promise chains run. */
async function settle(rounds = 8) {
  for (let i = 0; i < rounds; i += 1) {
    // eslint-disable-next-line no-await-in-loop
    await new Promise(resolve => setTimeout(resolve, 0))
  }
}

function text(page, selector) {
  const node = page.querySelector(selector)
  return node ? node.dom.textContent.trim() : null
}

function texts(page, selector) {
  return page.querySelectorAll(selector).map(node => node.dom.textContent.trim())
}

async function tap(page, selector) {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`nothing matches ${selector}`)
  node.dispatchEvent('tap')
  await settle()
}

/** Fire a component's own event (a Vant component's change, after-read, delete…) with `detail`. */
async function fire(page, selector, event, detail) {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`nothing matches ${selector}`)
  node.dispatchEvent(event, { detail })
  await settle()
}

async function type(page, selector, value) {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`nothing matches ${selector}`)
  node.dispatchEvent('input', { detail: { value } })
  await settle(1)
}

module.exports = { violations, ROOT, TOKEN, APP, serve, signIn, renderPage, settle, text, texts, tap, fire, type }
