// What the task list does to one task (pause, resume, push now, copy, delete) and to the selected
// ones (batch edit, pause, resume, copy, delete with a per-task result). The view owns the
// selection; `reload()` refreshes the rows, `deselect(row)` drops a deleted row from the selection.
import { computed, h, reactive, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessageBox } from 'element-plus'
import { api } from '../api.js'
import { confirmDanger, showError, showSuccess } from '../ui.js'

const shortId = (id) => String(id).slice(0, 8)

export function useTaskActions({ selection, rows, reload, deselect }) {
  const { t } = useI18n()
  const busy = ref(false)
  const pause = reactive({ open: false, ids: [], title: '' })
  const batchEdit = reactive({ open: false })
  const batchResult = reactive({ open: false, result: null })
  // A dialog is mounted from its first opening on (and then kept, for its closing animation).
  const used = reactive({ pause: false, batchEdit: false, batchResult: false })
  watch(() => pause.open, (v) => { if (v) used.pause = true })
  watch(() => batchEdit.open, (v) => { if (v) used.batchEdit = true })
  watch(() => batchResult.open, (v) => { if (v) used.batchResult = true })

  const selectedIds = computed(() => selection.value.map((r) => r.taskId))
  const namesById = computed(() => new Map([...rows.value, ...selection.value].map((r) => [r.taskId, r.name])))

  async function run(fn, okMessage) {
    busy.value = true
    try {
      const res = await fn()
      if (okMessage) showSuccess(typeof okMessage === 'function' ? okMessage(res) : okMessage)
      await reload()
      return res
    } catch (e) {
      showError(e)
      return null
    } finally {
      busy.value = false
    }
  }
  async function removeOne(row) {
    if (!(await confirmDanger(t('tasks.deleteConfirm', { name: row.name }), { confirmText: t('common.delete') }))) return
    await run(() => api.deleteTask(row.taskId), t('tasks.deleted'))
  }
  function openPause(ids, title = '') {
    Object.assign(pause, { open: true, ids, title })
  }
  async function confirmPause(resumeAt) {
    if (pause.ids.length === 1 && !pause.title) {
      const ok = await run(() => api.pauseTask(pause.ids[0], resumeAt), t('tasks.paused'))
      if (ok !== null) pause.open = false
    } else {
      const ok = await runBatch('pause', resumeAt ? { resumeAt } : undefined)
      if (ok) pause.open = false
    }
  }
  const resumeOne = (row) => run(() => api.resumeTask(row.taskId), t('tasks.resumed'))
  async function pushOne(row) {
    if (!(await confirmDanger(t('push.confirmNow', { name: row.name, n: (row.groups || []).length }), { confirmText: t('push.now') }))) return
    run(() => api.pushNow(row.taskId), t('push.started'))
  }
  const copyOne = (row) => run(() => api.copyTask(row.taskId), (res) => t('tasks.copied', { id: shortId(res.taskId) }))

  async function runBatch(action, updates) {
    const ids = selectedIds.value
    const names = new Map(namesById.value)
    busy.value = true
    try {
      const res = await api.batch(ids, action, updates)
      batchResult.result = {
        action, actionLabel: t(`tasks.batch.${action}`), total: ids.length,
        failedTasks: res.failedTasks || [], names,
      }
      batchResult.open = true
      const failed = new Set((res.failedTasks || []).map((f) => f.taskId))
      // Deleted tasks leave the selection; everything else stays selected (pause, then resume).
      if (action === 'delete') {
        for (const row of [...selection.value]) if (!failed.has(row.taskId)) deselect(row)
      }
      await reload()
      return true
    } catch (e) {
      showError(e)
      return false
    } finally {
      busy.value = false
    }
  }
  async function batchDelete() {
    const list = selection.value.map((r) => h('li', { key: r.taskId }, `${r.name}（${t(`status.${r.status}`)}）`))
    try {
      await ElMessageBox.confirm(
        h('div', { 'data-test': 'batch-delete-list' }, [h('p', t('tasks.batch.deleteBody')), h('ul', { style: 'max-height:220px;overflow:auto;padding-left:20px' }, list)]),
        t('tasks.batch.deleteTitle', { n: selection.value.length }),
        { type: 'warning', confirmButtonText: t('tasks.batch.confirmDelete', { n: selection.value.length }), cancelButtonText: t('common.cancel'), confirmButtonClass: 'el-button--danger' },
      )
    } catch {
      return
    }
    await runBatch('delete')
  }
  async function confirmBatchEdit(updates) {
    if (await runBatch('edit', updates)) batchEdit.open = false
  }

  return {
    busy, pause, batchEdit, batchResult, used, selectedIds,
    removeOne, openPause, confirmPause, resumeOne, pushOne, copyOne, runBatch, batchDelete, confirmBatchEdit,
  }
}
