// The app's configuration as WeChat reads it: app.json, theme.json, every page's .json with its
// components resolved through the npm build, and the pages the server's notices link to.
const fs = require('fs')
const path = require('path')
const { APP, ROOT, renderPage, serve } = require('./helpers')

const read = file => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'))

describe('app.json and the pages', () => {
  test('privacy check, dark mode with theme.json variables, and every page’s files exist', () => {
    expect(APP.__usePrivacyCheck__).toBe(true)
    expect(APP.darkmode).toBe(true)
    const theme = read(APP.themeLocation)
    Object.values(APP.window)
      .filter(v => typeof v === 'string' && v[0] === '@')
      .forEach(v => {
        expect(theme.light[v.slice(1)]).toBeDefined()
        expect(theme.dark[v.slice(1)]).toBeDefined()
      })
    APP.pages.forEach(page => {
      ;['js', 'json', 'wxml', 'wxss'].forEach(ext => expect(fs.existsSync(path.join(ROOT, `${page}.${ext}`))).toBe(true))
    })
  })

  test('every component a page uses resolves in miniprogram_npm (the npm build) or the project', () => {
    APP.pages.forEach(page => {
      const using = { ...(APP.usingComponents || {}), ...(read(`${page}.json`).usingComponents || {}) }
      Object.entries(using).forEach(([tag, value]) => {
        const file = value[0] === '/' ? path.join(ROOT, `${value}.json`) : path.join(ROOT, 'miniprogram_npm', `${value}.json`)
        expect([tag, fs.existsSync(file)]).toEqual([tag, true])
      })
    })
  })

  test('the notice links the server sends open pages that exist, with the ids they read', () => {
    const pages = fs.readFileSync(path.join(ROOT, '..', 'pushtask', 'domain', 'pages.py'), 'utf8')
    const linked = [...pages.matchAll(/^[A-Z]+ = "([^"]+)"/gm)].map(m => m[1])
    expect(linked.sort()).toEqual(['pages/feedback/feedback', 'pages/preview/preview', 'pages/task/task', 'pages/tasks/tasks'])
    linked.forEach(page => expect(APP.pages).toContain(page))
    expect(pages).toContain("{'id': preview_id}")
    expect(pages).toContain("{'ptfb': token}")
  })

  test('every page renders from its .json with its Vant components', () => {
    serve({})
    APP.pages.forEach(page => {
      const name = page.split('/')[1]
      const rendered = renderPage(name)
      expect(rendered.dom.innerHTML.length).toBeGreaterThan(0)
    })
  })

  test('every tappable element has an accessible name or role', () => {
    APP.pages.forEach(page => {
      const wxml = fs.readFileSync(path.join(ROOT, `${page}.wxml`), 'utf8')
      const tappable = wxml.match(/<view[^>]*bindtap[^>]*>/g) || []
      tappable.forEach(tag => expect([page, tag, /aria-(role|label)=/.test(tag)]).toEqual([page, tag, true]))
    })
  })
})
