import { createApp } from 'vue'
// Element Plus components are imported per view by the build; the services used from script
// (message, message box) and the base theme are imported here once.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n/index.js'
import { setUnauthorizedHandler } from './api.js'
import { auth } from './auth.js'

setUnauthorizedHandler((path) => {
  auth.forget()
  if (router.currentRoute.value.path === '/login') return
  router.push({ path: '/login', query: { redirect: path, expired: '1' } })
})

document.documentElement.lang = i18n.global.locale.value
createApp(App).use(i18n).use(router).mount('#app')
