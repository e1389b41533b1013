// The language the mini program speaks: zh-CN by default, English when the phone's WeChat is set to
// English (or the user chose it). Server calls send the same language in Accept-Language, so the
// server's messages (400 details, 409 reasons) come back in it too.
const LANG_KEY = 'pushtask.lang'
const DICTS = { 'zh-CN': require('../locales/zh-CN'), en: require('../locales/en') }

function phoneLanguage() {
  try {
    if (typeof wx.getAppBaseInfo === 'function') return wx.getAppBaseInfo().language || ''
    if (typeof wx.getSystemInfoSync === 'function') return wx.getSystemInfoSync().language || ''
  } catch (e) {
    return ''
  }
  return ''
}

function lang() {
  const chosen = wx.getStorageSync(LANG_KEY)
  if (chosen && DICTS[chosen]) return chosen
  return /^en/i.test(phoneLanguage()) ? 'en' : 'zh-CN'
}

function setLang(value) {
  wx.setStorageSync(LANG_KEY, DICTS[value] ? value : 'zh-CN')
}

function t() {
  return DICTS[lang()]
}

module.exports = { lang, setLang, t, DICTS }
