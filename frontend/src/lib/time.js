// Wall-clock times belong to a task's IANA zone; the API speaks ISO 8601 instants with an offset.
// These helpers convert between the two with Intl only (no time-zone database in the bundle).

const fmtCache = new Map()
function partsFormatter(tz) {
  let f = fmtCache.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    })
    fmtCache.set(tz, f)
  }
  return f
}

const pad = (n, w = 2) => String(n).padStart(w, '0')

/** True when `tz` is an IANA zone this browser knows. */
export function isValidZone(tz) {
  if (!tz || typeof tz !== 'string') return false
  try {
    partsFormatter(tz)
    return true
  } catch {
    return false
  }
}

function wallParts(ms, tz) {
  const p = {}
  for (const { type, value } of partsFormatter(tz).formatToParts(new Date(ms))) p[type] = value
  return {
    year: +p.year, month: +p.month, day: +p.day,
    hour: +p.hour % 24, minute: +p.minute, second: +p.second,
  }
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds (east positive). */
export function zoneOffsetMs(ms, tz) {
  const w = wallParts(ms, tz)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/

/** Parse "YYYY-MM-DDTHH:mm[:ss]" into numbers, or null. */
export function parseWall(wall) {
  const m = WALL_RE.exec(wall || '')
  if (!m) return null
  return { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: +(m[6] || 0) }
}

/**
 * The instant (ms) at which the wall time `wall` happens in `tz`. A time that does not exist
 * (spring-forward gap) moves forward by the gap; an ambiguous one (fall-back) takes the first
 * instant — the same rule as the server's scheduler.
 */
export function wallToInstant(wall, tz) {
  const w = parseWall(wall)
  if (!w) return null
  const utcWall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  const day = 86400000
  const before = zoneOffsetMs(utcWall - day, tz)
  const after = zoneOffsetMs(utcWall + day, tz)
  const candidates = [...new Set([utcWall - before, utcWall - after])].sort((a, b) => a - b)
  const want = formatWall(w)
  for (const c of candidates) if (instantToWall(c, tz) === want) return c
  return utcWall - before
}

function formatWall(w) {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

/** "YYYY-MM-DDTHH:mm:ss" wall time of instant `value` (ms, Date or ISO string) in `tz`. */
export function instantToWall(value, tz) {
  const ms = toMs(value)
  if (ms === null) return ''
  return formatWall(wallParts(ms, tz))
}

function toMs(value) {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'number') return value
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** ISO 8601 with the zone's offset, e.g. "2025-06-10T18:00:00-07:00". */
export function toZonedIso(value, tz) {
  const ms = toMs(value)
  if (ms === null) return null
  const off = zoneOffsetMs(ms, tz) / 60000
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${instantToWall(ms, tz)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
}

/** Wall time in `tz` as an ISO instant with offset (the API's `schedule.time`). */
export function wallToIso(wall, tz) {
  const ms = wallToInstant(wall, tz)
  return ms === null ? null : toZonedIso(ms, tz)
}

/** "2025-06-10 18:00" for an instant shown in `tz`; '' when there is no instant. */
export function formatInZone(value, tz, { seconds = false } = {}) {
  const wall = instantToWall(value, tz || 'UTC')
  if (!wall) return ''
  return wall.replace('T', ' ').slice(0, seconds ? 19 : 16)
}

/** A short zone label for `tz` at `value`, e.g. "GMT+8" / "PDT" (browser's wording). */
export function zoneLabel(value, tz, locale = 'en-US') {
  const ms = toMs(value) ?? Date.now()
  try {
    const part = new Intl.DateTimeFormat(locale, { timeZone: tz, timeZoneName: 'short' })
      .formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')
    return part ? part.value : tz
  } catch {
    return tz
  }
}

/** ISO weekday (Mon=1 … Sun=7) of a wall time. */
export function isoWeekday(wall) {
  const w = parseWall(wall)
  if (!w) return null
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()
  return d === 0 ? 7 : d
}

/** Local browser instant to "YYYY-MM-DDTHH:mm:ss" in `tz` for "now". */
export function nowWall(tz, now = Date.now()) {
  return instantToWall(now, tz)
}

export const COMMON_ZONES = [
  'Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Asia/Seoul',
  'Asia/Bangkok', 'Asia/Kolkata', 'Asia/Dubai', 'Europe/London', 'Europe/Paris', 'Europe/Berlin',
  'Europe/Moscow', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles',
  'America/Vancouver', 'America/Toronto', 'America/Sao_Paulo', 'Australia/Sydney',
  'Pacific/Auckland', 'UTC',
]
export const DEFAULT_ZONE = 'Asia/Shanghai'
