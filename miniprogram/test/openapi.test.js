// The OpenAPI slice the fixtures are checked against is the server's: regenerate it from the server
// (pushtask.api.openapi.build_openapi via the project's Python) and fail when the committed one differs.
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const api = require('../utils/api')
const { snapshot } = require('./openapi/contract')

const REPO = path.resolve(__dirname, '..', '..')
const PYTHON = process.env.PUSHTASK_PYTHON || path.join(REPO, '.venv', 'bin', 'python')

describe('the server’s OpenAPI document', () => {
  test('declares every endpoint the mini program calls', () => {
    expect(snapshot.missing).toEqual([])
    const names = Object.values(snapshot.operations).map(op => op.name)
    expect(names.sort()).toEqual(Object.keys(api.ENDPOINTS).sort())
  })

  const haveServer = fs.existsSync(PYTHON)
  ;(haveServer ? test : test.skip)('test/openapi/snapshot.json is what the server generates now', () => {
    let out
    try {
      out = execFileSync(PYTHON, [path.join(__dirname, 'openapi', 'generate.py'), '--check'], { cwd: REPO, encoding: 'utf8', stdio: 'pipe' })
    } catch (e) {
      throw new Error(`${e.stdout}\n${e.stderr}`)
    }
    expect(out).toContain('matches')
  })
  if (!haveServer) {
    // eslint-disable-next-line no-console
    console.warn(`no project Python at ${PYTHON} (make install, or set PUSHTASK_PYTHON): the snapshot check is skipped`)
  }
})
