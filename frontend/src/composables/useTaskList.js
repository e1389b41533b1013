// The task list's data: filters kept in the URL, the page of tasks, quiet polling while the page is
// shown, and the CSV export. TaskListView renders it as a table (wide screens) or cards (phones).
import { computed, nextTick, onActivated, onDeactivated, onMounted, onUnmounted, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { api } from '../api.js'
import { mergeRows } from '../lib/taskForm.js'
import { saveBlob, showError, showSuccess } from '../ui.js'

export const POLL_MS = 5000
export const LIMIT = 20
export const STATUSES = ['draft', 'scheduled', 'running', 'completed', 'failed', 'paused']
export const FILTER_KEYS = ['status', 'startTime', 'endTime', 'groupId', 'creatorId', 'recipientId', 'q', 'priority', 'sort']
export const SORT_PROPS = { time: 'scheduleTime', status: 'status', priority: 'priority' }

/** `onFilterChange()` is called when a new filter or page replaces the rows (to drop a selection). */
export function useTaskList({ onFilterChange = () => {} } = {}) {
  const { t, locale } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const rows = ref([])
  const total = ref(0)
  const loading = ref(false)
  const loadError = ref('')
  const pollFailed = ref(false)
  const qInput = ref('')
  let timer = null
  let inFlight = false
  let active = true
  let firstPaint = true

  // Filters live in the URL so that reload, back and the sign-in redirect keep them.
  const filters = computed(() => {
    const q = route.query
    const f = {}
    for (const k of FILTER_KEYS) if (q[k]) f[k] = String(q[k])
    return f
  })
  const page = computed(() => Math.max(1, parseInt(route.query.page, 10) || 1))
  const hasFilters = computed(() => FILTER_KEYS.some((k) => k !== 'sort' && filters.value[k]))
  const timeRange = computed(() => (filters.value.startTime || filters.value.endTime ? [filters.value.startTime || null, filters.value.endTime || null] : null))
  const tableSort = computed(() => {
    const s = (filters.value.sort || '').split(',')[0]
    if (!s) return {}
    const key = s.replace(/^-/, '')
    const prop = Object.keys(SORT_PROPS).find((p) => SORT_PROPS[p] === key)
    return prop ? { prop, order: s.startsWith('-') ? 'descending' : 'ascending' } : {}
  })

  function setQuery(patch, { keepPage = false } = {}) {
    const next = { ...route.query, ...patch }
    if (!keepPage) delete next.page
    for (const k of Object.keys(next)) if (next[k] === '' || next[k] === null || next[k] === undefined) delete next[k]
    if (!keepPage) onFilterChange()
    router.replace({ query: next })
  }

  async function load({ quiet = false } = {}) {
    if (inFlight) return
    inFlight = true
    if (!quiet) loading.value = true
    try {
      const res = await api.listTasks({ ...filters.value, page: page.value, limit: LIMIT })
      const fresh = res.tasks || []
      rows.value = mergeRows(rows.value, fresh)
      total.value = res.total ?? fresh.length
      loadError.value = ''
      pollFailed.value = false
      if (firstPaint) {
        firstPaint = false
        await nextTick()
        performance.mark('pushtask:tasks-ready')
        document.body.dataset.tasksReady = '1'
      }
    } catch (e) {
      if (quiet) pollFailed.value = true
      else {
        loadError.value = e.handled ? '' : t('tasks.loadFailed', { msg: e.message })
        if (!e.handled) showError(e, 'tasks.loadFailed')
      }
    } finally {
      inFlight = false
      loading.value = false
    }
  }

  function startPolling() {
    stopPolling()
    timer = setInterval(() => {
      if (active && !document.hidden) load({ quiet: true })
    }, POLL_MS)
  }
  function stopPolling() {
    if (timer) clearInterval(timer)
    timer = null
  }

  watch(() => [route.name, JSON.stringify(filters.value), page.value], ([name]) => {
    if (name === 'tasks') {
      qInput.value = filters.value.q || ''
      load()
    }
  })
  // The server words the rule in the language we ask for (Accept-Language): refetch on a switch.
  watch(locale, () => { if (active) load({ quiet: true }) })

  // The first page is asked for while the filters and table are still being rendered.
  qInput.value = filters.value.q || ''
  load()
  onMounted(startPolling)
  onActivated(() => { active = true; if (!firstPaint) load({ quiet: true }); startPolling() })
  onDeactivated(() => { active = false; stopPolling() })
  onUnmounted(stopPolling)

  function onRange(v) {
    setQuery({ startTime: v?.[0] || '', endTime: v?.[1] || '' })
  }
  function onSort({ prop, order }) {
    setQuery({ sort: order && SORT_PROPS[prop] ? `${order === 'descending' ? '-' : ''}${SORT_PROPS[prop]}` : '' })
  }
  function clearFilters() {
    qInput.value = ''
    onFilterChange()
    router.replace({ query: {} })
  }
  const goToPage = (p) => setQuery({ page: p > 1 ? String(p) : '' }, { keepPage: true })

  async function exportCsv() {
    try {
      const { blob, filename } = await api.exportTasks(filters.value)
      const name = filename || `pushtask-tasks-${new Date().toISOString().slice(0, 10)}.csv`
      saveBlob(blob, name)
      showSuccess(t('tasks.exported', { file: name }))
    } catch (e) {
      showError(e, 'tasks.exportFailed')
    }
  }

  return {
    rows, total, loading, loadError, pollFailed, qInput, filters, page, hasFilters, timeRange, tableSort,
    setQuery, load, onRange, onSort, clearFilters, goToPage, exportCsv,
  }
}
