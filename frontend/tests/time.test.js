import { describe, expect, it } from 'vitest'
import { instantToWall, isValidZone, toZonedIso, wallToInstant, wallToIso, formatInZone } from '../src/lib/time.js'

describe('zone conversions', () => {
  it('turns a Shanghai wall time into an instant with +08:00', () => {
    expect(wallToIso('2025-06-10T18:00:00', 'Asia/Shanghai')).toBe('2025-06-10T18:00:00+08:00')
    expect(new Date(wallToInstant('2025-06-10T18:00', 'Asia/Shanghai')).toISOString()).toBe('2025-06-10T10:00:00.000Z')
  })

  it('uses daylight time in Los Angeles in summer and standard time in winter', () => {
    expect(wallToIso('2025-06-10T18:00', 'America/Los_Angeles')).toBe('2025-06-10T18:00:00-07:00')
    expect(wallToIso('2025-12-10T18:00', 'America/Los_Angeles')).toBe('2025-12-10T18:00:00-08:00')
  })

  it('moves a wall time in the spring-forward gap forward', () => {
    // 2025-03-09 02:30 does not exist in Los Angeles; the next valid instant is 03:30 PDT.
    expect(wallToIso('2025-03-09T02:30', 'America/Los_Angeles')).toBe('2025-03-09T03:30:00-07:00')
  })

  it('takes the first of two instants for an ambiguous fall-back wall time', () => {
    expect(wallToIso('2025-11-02T01:30', 'America/Los_Angeles')).toBe('2025-11-02T01:30:00-07:00')
  })

  it('shows an instant in the task zone', () => {
    expect(instantToWall('2025-06-10T10:00:00Z', 'Asia/Shanghai')).toBe('2025-06-10T18:00:00')
    expect(formatInZone('2025-06-11T01:00:00Z', 'America/Los_Angeles')).toBe('2025-06-10 18:00')
    expect(toZonedIso('2025-01-01T00:00:00Z', 'Asia/Kolkata')).toBe('2025-01-01T05:30:00+05:30')
  })

  it('knows valid and invalid zones', () => {
    expect(isValidZone('Asia/Shanghai')).toBe(true)
    expect(isValidZone('Mars/Olympus')).toBe(false)
    expect(isValidZone('')).toBe(false)
  })
})
