// The calendar's data: the list's filters and the shown range kept in the URL, the occurrences of
// the visible range (GET /api/calendar), and the changes a drop or a click asks for — a one-off's
// time through the task update, a recurring task's single push through its occurrence routes.
import { computed, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { request } from '../api.js'
import { apiWindow, moveRequest } from '../lib/calendar.js'

export const CAL_FILTERS = ['status', 'groupId', 'creatorId', 'recipientId']
export const VIEWS = { month: 'dayGridMonth', week: 'timeGridWeek', day: 'timeGridDay' }

export function useCalendar() {
  const { locale } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const occurrences = ref([])
  const warnings = ref([])
  const truncated = ref(false)
  const loading = ref(false)
  const loadError = ref(null)
  let range = null
  let seq = 0

  const filters = computed(() => {
    const f = {}
    for (const k of CAL_FILTERS) if (route.query[k]) f[k] = String(route.query[k])
    return f
  })
  const hasFilters = computed(() => Object.keys(filters.value).length > 0)

  function setQuery(patch) {
    const next = { ...route.query, ...patch }
    for (const k of Object.keys(next)) if (next[k] === '' || next[k] == null) delete next[k]
    router.replace({ query: next })
  }

  /** Fetch the occurrences of [start, end) (FullCalendar's UTC-based range); the newest call wins. */
  async function load(start = range?.start, end = range?.end) {
    if (!start || !end) return
    range = { start, end }
    const mine = ++seq
    loading.value = true
    try {
      const res = await request('GET', '/calendar', { query: { ...apiWindow(start, end), ...filters.value } })
      if (mine !== seq) return
      occurrences.value = res.occurrences || []
      warnings.value = res.warnings || []
      truncated.value = !!res.truncated
      loadError.value = null
    } catch (e) {
      if (mine === seq) loadError.value = e
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /** Move one occurrence to a wall time in its task's zone; resolves to the server's answer. */
  async function move(occ, newWall) {
    const { method, path, body } = moveRequest(occ, newWall)
    return request(method, path, { body })
  }

  const occurrencePath = (occ) => `/tasks/${encodeURIComponent(occ.taskId)}/occurrences/${encodeURIComponent(occ.fireAt)}/skip`
  const skip = (occ) => request('POST', occurrencePath(occ), { body: {} })
  // A moved push is named by its new time or its own slot; restoring undoes the skip or the move.
  const restore = (occ) => request('DELETE', occurrencePath(occ.outcome === 'planned' && occ.movedFrom ? { ...occ, fireAt: occ.movedFrom } : occ))

  return { occurrences, warnings, truncated, loading, loadError, filters, hasFilters, setQuery, load, move, skip, restore, locale }
}
