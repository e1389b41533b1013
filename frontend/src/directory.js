// Groups and reviewers the pickers and filters choose from, fetched once and shared by views.
import { api } from './api.js'

const PAGE = 500 // the server's largest page
const MAX_PAGES = 20 // 10,000 groups is more than any org picks from on one screen
const TTL_MS = 60_000
const cache = { groups: null, recipients: null }

async function loadAll(kind, fetchPage) {
  const hit = cache[kind]
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise
  const promise = (async () => {
    const items = []
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await fetchPage(page)
      const list = res[kind] || []
      items.push(...list)
      if (list.length < PAGE || items.length >= (res.total ?? 0)) break
    }
    return items
  })()
  cache[kind] = { at: Date.now(), promise }
  promise.catch(() => { cache[kind] = null })
  return promise
}

export const loadGroups = () => loadAll('groups', (page) => api.listGroups({ page, limit: PAGE }))
export const loadRecipients = () => loadAll('recipients', (page) => api.listRecipients({ page, limit: PAGE }))

/** Forget cached lists after an admin changes them. */
export function invalidate(kind) {
  if (kind) cache[kind] = null
  else cache.groups = cache.recipients = null
}
