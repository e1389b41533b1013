// Who is signed in, as reactive state for the views; the token itself lives in api.js's session.
import { reactive } from 'vue'
import { api, session } from './api.js'

export const auth = reactive({
  user: session.isActive() ? session.user : null,

  get isAdmin() { return this.user?.role === 'admin' },
  get canWrite() { return this.user?.role === 'admin' || this.user?.role === 'operator' },

  async login(wechatId, password) {
    const res = await api.login(wechatId, password)
    session.save(res)
    this.user = res.user
    return res.user
  },

  async logout() {
    try {
      await api.logout()
    } finally {
      this.forget()
    }
  },

  forget() {
    session.clear()
    this.user = null
  },

  /** Refresh the user (role or name may have changed since sign-in). */
  async refresh() {
    const res = await api.me()
    this.user = res.user
    session.setUser(res.user)
  },
})
