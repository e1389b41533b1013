// The bell polls the inbox on its own (every 30 s). A page that sees something the bell will show —
// a reviewer's answer to a preview — asks it to look now, so both change together without a reload.
export const BELL_REFRESH = 'pushtask:bell-refresh'

export function refreshBell() {
  window.dispatchEvent(new Event(BELL_REFRESH))
}
