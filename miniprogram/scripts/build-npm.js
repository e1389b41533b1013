// What WeChat DevTools' 工具 → 构建 npm does, for tests and for builds outside DevTools: each runtime
// dependency in package.json that declares a `miniprogram` folder (Vant Weapp: `lib`) is copied to
// miniprogram_npm/<name>, where `"usingComponents": {"van-x": "@vant/weapp/x/index"}` resolves.
// miniprogram_npm/ is build output (git-ignored); DevTools rebuilds the same tree from node_modules.
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const OUT = path.join(ROOT, 'miniprogram_npm')

function build() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const built = []
  Object.keys(pkg.dependencies || {}).forEach(name => {
    const dir = path.join(ROOT, 'node_modules', name)
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    const source = path.join(dir, meta.miniprogram || 'miniprogram_dist')
    if (!fs.existsSync(source)) throw new Error(`${name} has no mini-program build (${source}); run npm ci`)
    const target = path.join(OUT, name)
    fs.rmSync(target, { recursive: true, force: true })
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.cpSync(source, target, { recursive: true, filter: file => !file.endsWith('.d.ts') })
    built.push(`${name}@${meta.version}`)
  })
  return built
}

if (require.main === module) {
  const built = build()
  process.stdout.write(`miniprogram_npm: ${built.join(', ') || 'nothing to build'}\n`)
}

module.exports = { build, OUT }
