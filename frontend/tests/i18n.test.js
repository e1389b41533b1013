import { describe, expect, it } from 'vitest'
import zhCN from '../src/i18n/zh-CN.js'
import en from '../src/i18n/en.js'

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`])).sort()
}
const placeholders = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
function lookup(obj, path) {
  return path.split('.').reduce((o, k) => o[k], obj)
}

describe('messages', () => {
  it('has the same keys in zh-CN and en', () => {
    expect(keys(en)).toEqual(keys(zhCN))
  })

  it('uses the same placeholders in both languages', () => {
    for (const k of keys(zhCN)) expect([k, placeholders(lookup(en, k))]).toEqual([k, placeholders(lookup(zhCN, k))])
  })

  it('avoids vue-i18n syntax characters that would break a message', () => {
    for (const messages of [zhCN, en]) {
      for (const k of keys(messages)) expect([k, /[@|$]/.test(lookup(messages, k))]).toEqual([k, false])
    }
  })
})
