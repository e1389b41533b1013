import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN.js'
import en from './en.js'

export const LOCALES = ['zh-CN', 'en']
const STORAGE_KEY = 'pushtask.locale'

function initialLocale() {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null
  return LOCALES.includes(saved) ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(locale) {
  if (!LOCALES.includes(locale)) return
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}
