// The task form's preview side: live checks of the content against the target groups' channels
// (debounced), 发送预览 (a new task is saved as a draft first), and the preview's state followed
// live while the page is open — a reviewer's 确认 or 修改 in WeChat shows here without a reload.
import { onUnmounted, reactive, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { api } from '../api.js'
import { formToPayload, variantsPayload } from '../lib/taskForm.js'
import { contentPayload, debounce, hasContent, previewOutcome, splitValidation } from '../lib/push.js'
import { showError, showSuccess } from '../ui.js'
import { refreshBell } from '../lib/bell.js'

export const FOLLOW_MS = 4000

/**
 * The latest preview's state for the banner: `{ status, name, comment }`, status one of
 * 'pending' | 'confirmed' | 'modify_requested' (null when there is no preview). `name` is who decided.
 */
export function latestDecision(previews) {
  const p = (previews || [])[0]
  if (!p) return null
  if (p.variant) return variantsDecision(previews, p)
  const decisions = p.decisions || []
  const last = decisions[decisions.length - 1] || null
  return {
    previewId: p.previewId,
    status: p.stale ? 'stale' : p.status,
    name: last?.name || '',
    comment: last?.comment || p.comment || '',
    sentTo: (p.recipients || []).filter((r) => r.status === 'sent' || r.status === 'sending').map((r) => r.name),
  }
}

/**
 * A/B: the latest preview round has one preview per variant (sent together). It is confirmed when every
 * variant is, sent back when any is; otherwise it waits. `name`/`comment` are the latest decision's.
 */
function variantsDecision(previews, first) {
  const round = previews.filter((x) => x.variant && x.createdAt === first.createdAt && x.contentVersion === first.contentVersion)
  const statuses = round.map((x) => (x.stale ? 'stale' : x.status))
  const status = statuses.includes('stale') ? 'stale'
    : statuses.includes('modify_requested') ? 'modify_requested'
      : statuses.every((s) => s === 'confirmed') ? 'confirmed' : 'pending'
  const decided = round.flatMap((x) => x.decisions || []).sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)))
  const last = decided[decided.length - 1] || null
  return {
    previewId: first.previewId,
    status,
    name: last?.name || '',
    comment: last?.comment || round.find((x) => x.comment)?.comment || '',
    sentTo: (first.recipients || []).filter((r) => r.status === 'sent' || r.status === 'sending').map((r) => r.name),
  }
}

/** `taskId` a computed id (null for a new task); `validate(as)` the form's; `afterDecision()` is called when the state changes. */
export function useTaskPreview({ form, taskId, task, validate, leave, markClean, afterDecision = () => {} }) {
  const { t } = useI18n()

  // ---- live validation against the target groups' channels (debounced while typing) ----------
  const check = reactive({ busy: false, result: null })
  const runCheck = debounce(async () => {
    if (!hasContent(form.content)) { check.result = null; return }
    check.busy = true
    try {
      const res = await api.validateContent(contentPayload(form.content), form.groups)
      check.result = splitValidation(res.validation)
    } catch {
      check.result = null // the check is advisory; saving reports the server's answer anyway
    } finally {
      check.busy = false
    }
  }, 600)
  watch(() => [JSON.stringify(form.content), form.groups.join(',')], () => runCheck())
  onUnmounted(() => runCheck.cancel())

  // ---- the preview's state, followed while one waits for an answer -------------------------------
  const preview = reactive({ busy: false, errors: [], warnings: [], state: null })
  let timer = null
  let stopped = false
  function stopFollowing() {
    if (timer) clearTimeout(timer)
    timer = null
  }
  let inFlight = false
  async function follow() {
    stopFollowing()
    if (stopped || !taskId.value || inFlight) return
    inFlight = true
    try {
      const before = preview.state?.status
      const state = latestDecision((await api.taskPreviews(taskId.value))?.previews)
      preview.state = state
      if (before && state && before !== state.status) {
        refreshBell() // a 修改 is in the creator's bell now
        afterDecision(state)
      }
    } catch { /* a failed poll is retried */ } finally {
      inFlight = false
    }
    if (!stopped && preview.state?.status === 'pending') {
      timer = setTimeout(follow, FOLLOW_MS)
    }
  }
  // An edit page opened on a task whose preview waits for an answer follows it from the start.
  watch(() => task.value?.previewState, (s) => { if (s && s !== 'none' && !timer) follow() })
  onUnmounted(() => { stopped = true; stopFollowing() })

  // ---- 发送预览: save first (a new task becomes a draft), then POST /api/preview --------------------
  async function sendPreview() {
    preview.errors = []
    preview.warnings = []
    if (!hasContent(form.content)) return showError(new Error(t('pv.needContent')))
    if (!form.previewRecipients.length) return showError(new Error(t('pv.needReviewers')))
    preview.busy = true
    try {
      let id = taskId.value
      if (!id) {
        const ok = await validate('draft')
        if (!ok) return showError(new Error(t('form.fixErrors')))
        const res = await api.createTask(formToPayload(form, 'draft'))
        id = res.taskId
        markClean()
        showSuccess(t('pv.savedDraft'))
      }
      const variants = variantsPayload(form)
      // A/B: the variants are saved with the task first; the preview then sends each one (版本 A, 版本 B …).
      if (variants && taskId.value) await api.updateTask(id, { variants })
      const res = await api.sendPreview(variants
        ? { taskId: id, recipients: [...form.previewRecipients] }
        : { taskId: id, content: contentPayload(form.content), recipients: [...form.previewRecipients] })
      const out = previewOutcome(res)
      preview.warnings = out.warnings
      if (out.sent.length) showSuccess(t('pv.sent', { n: out.sent.length }))
      if (!taskId.value) {
        leave(`/tasks/${encodeURIComponent(id)}`) // the detail page shows the preview and its decisions
        return
      }
      preview.state = { previewId: res.previewId, status: 'pending', name: '', comment: '', sentTo: out.sent.map((r) => r.name) }
      follow()
    } catch (e) {
      if (e.status === 400 && e.body?.validation) {
        preview.errors = e.body.validation.errors || []
        showError(new Error(t('pv.invalid')))
      } else {
        showError(e)
      }
    } finally {
      preview.busy = false
    }
  }

  // ---- 发送测试给我: the content (as in the form, not saved) to the user's own linked WeChat ---------
  const selfTest = reactive({ busy: false })
  async function sendSelfTest() {
    if (!taskId.value) return
    if (!hasContent(form.content)) return showError(new Error(t('pv.needContent')))
    selfTest.busy = true
    try {
      const res = await api.sendSelfTest({ taskId: taskId.value, content: contentPayload(form.content) })
      if (res.status === 'failed') showError(new Error(res.message))
      else showSuccess(res.message)
    } catch (e) {
      if (e.status === 400 && e.body?.validation) {
        preview.errors = e.body.validation.errors || []
        showError(new Error(t('pv.invalid')))
      } else if (e.status === 400 && e.details?.length) {
        showError(new Error(e.details.map((d) => d.message).join('；'))) // e.g. how to link a WeChat
      } else {
        showError(e)
      }
    } finally {
      selfTest.busy = false
    }
  }

  return { check, preview, sendPreview, selfTest, sendSelfTest }
}
