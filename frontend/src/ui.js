// Small helpers the views share for telling the user what happened.
import { ElMessage, ElMessageBox } from 'element-plus'
import { errorMessage } from './api.js'
import { i18n } from './i18n/index.js'

const t = (...a) => i18n.global.t(...a)

/** Show an API error (unless the client already handled it, as with 401). */
export function showError(err, key) {
  if (err?.handled) return
  const msg = errorMessage(err, t)
  ElMessage({ type: 'error', message: key ? t(key, { msg }) : msg, showClose: true, duration: 6000 })
}

export function showSuccess(message) {
  ElMessage({ type: 'success', message })
}

/** Something did not happen for a reason the user should read (e.g. WeCom refused a reminder). */
export function showWarning(message) {
  ElMessage({ type: 'warning', message, showClose: true, duration: 6000 })
}

/** Ask before something destructive; resolves true when confirmed. */
export async function confirmDanger(message, { title, confirmText } = {}) {
  try {
    await ElMessageBox.confirm(message, title || t('common.confirmTitle'), {
      type: 'warning',
      confirmButtonText: confirmText || t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
    })
    return true
  } catch {
    return false
  }
}

/** Save a Blob as a file download. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
