// The task form's state and rules: load an existing task, validate as a draft or for submission,
// save (create or update), put the server's 400 field errors on the fields, offer a draft when the
// approval gate refuses, and guard unsaved changes (route leave and tab close).
import { computed, onMounted, onUnmounted, reactive, ref } from 'vue'
import { onBeforeRouteLeave, useRoute, useRouter } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { ElMessageBox } from 'element-plus'
import { api, errorMessage, fieldErrors } from '../api.js'
import { DEFAULT_ZONE } from '../lib/time.js'
import { emptyForm, formToPayload, taskToForm } from '../lib/taskForm.js'
import { validateTask } from '../lib/validation.js'
import { showError, showSuccess } from '../ui.js'

// Every form item that can show an error, by the API's field path.
export const FIELDS = [
  'name', 'priority', 'schedule.type', 'schedule.time', 'schedule.timezone', 'schedule.interval',
  'schedule.weekdays', 'schedule.monthDay', 'schedule.recurringEnd', 'schedule.endAfter', 'content.text', 'content.image',
  'content.link', 'content.miniprogram.appid', 'content.miniprogram.pagePath', 'content.miniprogram.title', 'groups',
  'previewRecipients',
]
// Server paths that have no form item of their own are shown on the nearest one.
const ALIASES = {
  schedule: 'schedule.time', 'schedule.recurringInterval': 'schedule.interval', content: 'content.text',
  'content.miniprogram': 'content.miniprogram.appid',
}

export function useTaskForm() {
  const { t, te } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const taskId = computed(() => route.params.id || null)
  const formRef = ref()
  const form = reactive(emptyForm(DEFAULT_ZONE))
  const task = ref(null)
  const loading = ref(false)
  const loadError = ref('')
  const saving = ref('')
  const mode = ref('submit') // which rule set the validators apply: 'draft' | 'submit'
  const serverErrors = reactive({})
  const otherErrors = ref([])
  let snapshot = JSON.stringify(form)
  let leaving = false

  /** Whether the form item for `field` is on screen now (recurring-only items are not always). */
  function shown(field) {
    const s = form.schedule
    if (['schedule.interval', 'schedule.recurringEnd'].includes(field)) return s.type === 'recurring'
    if (field === 'schedule.weekdays') return s.type === 'recurring' && s.recurringInterval === 'weekly'
    if (field === 'schedule.monthDay') return s.type === 'recurring' && s.recurringInterval === 'monthly'
    if (field === 'schedule.endAfter') return s.type === 'recurring' && s.endMode === 'count'
    return FIELDS.includes(field)
  }
  const rule = (field) => [{
    trigger: ['blur', 'change'],
    validator: (_r, _v, cb) => {
      const p = validateTask(form, mode.value).find((x) => x.field === field)
      cb(p ? new Error(t(p.key, p.params || {})) : undefined)
    },
  }]
  const rules = Object.fromEntries(FIELDS.map((f) => [f, rule(f)]))

  const isDraftish = computed(() => !task.value || task.value.status === 'draft')
  const dirty = () => JSON.stringify(form) !== snapshot
  const markClean = () => { snapshot = JSON.stringify(form) }
  /** Leave the page without the unsaved-changes question (the work is saved). */
  function leave(path) {
    markClean()
    leaving = true
    router.push(path)
  }

  // Closing the tab or reloading with unsaved changes asks the browser's own question.
  function beforeUnload(e) {
    if (!leaving && dirty()) {
      e.preventDefault()
      e.returnValue = ''
    }
  }
  onUnmounted(() => window.removeEventListener('beforeunload', beforeUnload))

  onMounted(async () => {
    window.addEventListener('beforeunload', beforeUnload)
    if (!taskId.value) return
    loading.value = true
    try {
      task.value = await api.getTask(taskId.value)
      Object.assign(form, taskToForm(task.value))
      markClean()
    } catch (e) {
      loadError.value = e.status === 404 ? t('detail.notFound') : t('form.loadFailed', { msg: e.message })
      if (!e.handled && e.status !== 404) showError(e, 'form.loadFailed')
    } finally {
      loading.value = false
    }
  })

  /** Re-read the task's status and preview state (not the fields being edited). */
  async function refreshTask() {
    if (!taskId.value) return
    try {
      task.value = await api.getTask(taskId.value)
    } catch { /* the next save reports any problem */ }
  }

  function fieldLabel(path) {
    const key = `detail.field.${path.replace(/\[\d+\]/g, '').replace(/\./g, '_')}`
    return te(key) ? t(key) : path
  }

  function clearServerErrors() {
    for (const k of Object.keys(serverErrors)) delete serverErrors[k]
    otherErrors.value = []
  }

  async function validate(as) {
    mode.value = as
    return formRef.value.validate().catch(() => false)
  }

  async function save(status) {
    clearServerErrors()
    const ok = await validate(status === 'draft' ? 'draft' : 'submit')
    if (!ok) {
      showError(new Error(t('form.fixErrors')))
      return
    }
    const body = formToPayload(form, status)
    if (!status) delete body.status // editing a live task keeps its status
    saving.value = status || 'save'
    try {
      const res = taskId.value ? await api.updateTask(taskId.value, body) : await api.createTask(body)
      showSuccess(taskId.value ? t('form.updated') : t('form.created'))
      leave(`/tasks/${encodeURIComponent(res?.taskId || taskId.value)}`)
    } catch (e) {
      if (e.status === 400 && e.details.length) {
        const mapped = fieldErrors(e.details)
        for (const [path, msg] of Object.entries(mapped)) {
          // A/B: "variants[1].content.link" is shown as "版本 B · 链接: …".
          const variant = /^variants\[(\d+)\]\.(.+)$/.exec(path)
          if (variant) {
            const key = form.variants[+variant[1]]?.key || variant[1]
            otherErrors.value.push(`${t('ab.variant', { key })} · ${fieldLabel(variant[2])}: ${msg}`)
            continue
          }
          const field = ALIASES[path] || path
          if (shown(field) && !serverErrors[field]) serverErrors[field] = msg
          else otherErrors.value.push(`${fieldLabel(path)}: ${msg}`)
        }
        showError(new Error(t('form.serverRejectedFields')))
      } else if (e.status === 409 && status === 'scheduled' && isDraftish.value) {
        // Typically the approval gate: this content has no confirmed preview yet. The server's reason
        // says so; keeping the work as a draft is the way forward until the preview is confirmed.
        saving.value = ''
        if (await offerDraft(errorMessage(e, t))) return save('draft')
      } else {
        showError(e)
      }
    } finally {
      saving.value = ''
    }
  }

  async function offerDraft(reason) {
    try {
      await ElMessageBox.confirm(reason, t('form.notScheduledTitle'), {
        type: 'warning', confirmButtonText: t('form.saveDraft'), cancelButtonText: t('common.keepEditing'),
      })
      return true
    } catch {
      return false
    }
  }

  async function askDiscard() {
    try {
      await ElMessageBox.confirm(t('common.discardBody'), t('common.discardTitle'), {
        type: 'warning', confirmButtonText: t('common.discard'), cancelButtonText: t('common.keepEditing'),
      })
      return true
    } catch {
      return false
    }
  }

  async function cancel() {
    if (dirty() && !(await askDiscard())) return
    leaving = true
    router.push(taskId.value ? `/tasks/${encodeURIComponent(taskId.value)}` : '/tasks')
  }

  onBeforeRouteLeave(async (to) => {
    if (leaving || !dirty() || to.path === '/login') return true
    return askDiscard()
  })

  function onTypeChange() {
    if (form.schedule.type === 'recurring' && !form.schedule.weekdays.length && form.schedule.time) {
      const d = new Date(`${form.schedule.time.slice(0, 10)}T00:00:00Z`).getUTCDay()
      form.schedule.weekdays = [d === 0 ? 7 : d]
    }
  }

  return {
    taskId, formRef, form, task, loading, loadError, saving, serverErrors, otherErrors, rules, isDraftish,
    validate, save, cancel, leave, markClean, refreshTask, onTypeChange,
  }
}
