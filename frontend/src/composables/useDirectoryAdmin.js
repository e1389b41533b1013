// The list / search / create / edit / delete cycle that the groups and reviewers pages share.
// A page passes its API calls, its form's blank and row→form mapping, and keeps its template.
import { reactive, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { fieldErrors } from '../api.js'
import { invalidate } from '../directory.js'
import { confirmDanger, showError, showSuccess } from '../ui.js'

export const PAGE_SIZE = 20

/**
 * `kind` is the list's key in the API answer and the directory cache ('groups' | 'recipients');
 * `idKey` the row id field; `fetch/create/update/remove` the API calls; `blank()` an empty form;
 * `fromRow(row)` the form for editing (secrets left empty); `toBody(form, editing)` the request body.
 */
export function useDirectoryAdmin({ kind, idKey, fetch, create, update, remove, blank, fromRow, toBody, deleteKey }) {
  const { t } = useI18n()
  const rows = ref([])
  const total = ref(0)
  const page = ref(1)
  const q = ref('')
  const loading = ref(false)
  const dialog = reactive({ open: false, editing: null, busy: false })
  const form = reactive(blank())
  const errors = reactive({})
  const formRef = ref()

  const clearErrors = () => { for (const k of Object.keys(errors)) delete errors[k] }

  async function load() {
    loading.value = true
    try {
      const res = await fetch({ q: q.value.trim(), page: page.value, limit: PAGE_SIZE })
      rows.value = res[kind] || []
      total.value = res.total ?? rows.value.length
    } catch (e) {
      showError(e)
    } finally {
      loading.value = false
    }
  }

  function search() {
    page.value = 1
    load()
  }

  function open(row = null) {
    clearErrors()
    dialog.editing = row
    Object.assign(form, row ? fromRow(row) : blank())
    dialog.open = true
    formRef.value?.clearValidate()
  }

  async function save() {
    clearErrors()
    if (!(await formRef.value.validate().catch(() => false))) return
    const body = toBody(form, dialog.editing)
    dialog.busy = true
    try {
      if (dialog.editing) await update(dialog.editing[idKey], body)
      else await create(body)
      invalidate(kind)
      showSuccess(t('common.saved'))
      dialog.open = false
      load()
    } catch (e) {
      if (e.status === 400 && e.details.length) Object.assign(errors, fieldErrors(e.details))
      showError(e)
    } finally {
      dialog.busy = false
    }
  }

  async function removeRow(row) {
    if (!(await confirmDanger(t(deleteKey, { name: row.name }), { confirmText: t('common.delete') }))) return
    try {
      await remove(row[idKey])
      invalidate(kind)
      showSuccess(t('common.deleted'))
      load()
    } catch (e) {
      showError(e)
    }
  }

  return { rows, total, page, q, loading, dialog, form, errors, formRef, load, search, open, save, removeRow }
}
