// Test helpers: a fixture HTTP layer behind wx.request, page rendering through miniprogram-simulate.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '..')
const TOKEN = 'header.payload.signature'

/**
 * Answer wx.request from `routes` {'METHOD /path/:param': req => ({status, data, header}) | 'network'}.
 * Returns the list of requests made, each {method, path, query, data, header, params}.
 */
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
    const route = table.find(r => r.method === options.method && r.regex.test(url.pathname))
    if (route) {
      const match = url.pathname.match(route.regex)
      route.names.forEach((name, i) => {
        call.params[name] = decodeURIComponent(match[i + 1])
      })
    }
    setTimeout(() => {
      const answer = route ? route.handler(call) : { status: 404, data: { error: 'Not Found' } }
      if (answer === 'network') {
        options.fail({ errMsg: 'request:fail' })
        return
      }
      options.success({ statusCode: answer.status || 200, data: answer.data, header: answer.header || {} })
    }, 0)
    return { abort() {} }
  })
  return calls
}

function signIn() {
  wx.setStorageSync('pushtask.token', TOKEN)
  wx.setStorageSync('pushtask.user', { id: 'u1', name: '奥尔加', role: 'operator' })
}

// Jest keeps its own module registry, so a page's JS runs (and registers) once per test file: load once.
const loaded = {}

/** Render a page (a Component-constructed page) and attach it to the document. */
function renderPage(name) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'pages', name, name))
  const id = loaded[name]
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  return page
}

/** Let pending fixture responses and their promise chains run. */
async function settle(rounds = 5) {
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

async function type(page, selector, value) {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`nothing matches ${selector}`)
  node.dispatchEvent('input', { detail: { value } })
  await settle(1)
}

module.exports = { ROOT, TOKEN, serve, signIn, renderPage, settle, text, texts, tap, type }
