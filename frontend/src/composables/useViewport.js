// Which layout the window calls for: `phone` (≤ 600 px: one column, top labels, small pagers) and
// `narrow` (≤ 900 px: the sidebar becomes a drawer, the task list becomes cards). One matchMedia
// listener each for the whole app; components read the shared refs.
import { readonly, ref } from 'vue'

export const PHONE_MAX = 600
export const NARROW_MAX = 900

function watchQuery(query) {
  const state = ref(false)
  if (typeof window !== 'undefined' && window.matchMedia) {
    const mq = window.matchMedia(query)
    state.value = mq.matches
    const update = (e) => { state.value = e.matches }
    if (mq.addEventListener) mq.addEventListener('change', update)
    else if (mq.addListener) mq.addListener(update)
  }
  return state
}

let shared = null

/** `{ phone, narrow }`: read-only refs that follow the window's width. */
export function useViewport() {
  if (!shared) {
    shared = {
      phone: readonly(watchQuery(`(max-width: ${PHONE_MAX}px)`)),
      narrow: readonly(watchQuery(`(max-width: ${NARROW_MAX}px)`)),
    }
  }
  return shared
}
