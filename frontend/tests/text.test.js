import { describe, expect, it } from 'vitest'
import { countChars, truncateChars, TEXT_LIMIT } from '../src/lib/text.js'

// The server counts extended grapheme clusters; these cases are the ones where a naive
// String.length or code-point count disagrees with what a reader (and the server) sees.
describe('countChars counts grapheme clusters like the server', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['周一课程提醒', 6],
    ['👨‍👩‍👧‍👦', 1], // ZWJ family: 7 code points, 11 UTF-16 units
    ['🇨🇳', 1], // regional-indicator flag
    ['🇨🇳🇺🇸', 2],
    ['👍🏽', 1], // emoji + skin-tone modifier
    ['e\u0301', 1], // e + combining acute
    ['a\u0308\u0301', 1], // stacked combining marks
    ['\u1100\u1161\u11A8', 1], // Hangul jamo L V T
    ['line1\r\nline2', 11], // CRLF is one cluster
    ['line1\nline2', 11],
    ['❤️', 1], // heart + VS16
    ['1️⃣', 1], // keycap
    ['🏳️‍🌈', 1],
    ['𠀀', 1], // astral CJK (surrogate pair)
  ])('%j → %i', (text, n) => {
    expect(countChars(text)).toBe(n)
  })

  it('treats null and undefined as empty', () => {
    expect(countChars(null)).toBe(0)
    expect(countChars(undefined)).toBe(0)
  })

  it('allows exactly the limit of family emoji that String.length would reject', () => {
    const text = '👨‍👩‍👧‍👦'.repeat(TEXT_LIMIT)
    expect(text.length).toBe(11 * TEXT_LIMIT)
    expect(countChars(text)).toBe(TEXT_LIMIT)
  })

  it('truncates on cluster boundaries', () => {
    expect(truncateChars('a👨‍👩‍👧‍👦b', 2)).toBe('a👨‍👩‍👧‍👦')
    expect(truncateChars('🇨🇳🇺🇸', 1)).toBe('🇨🇳')
  })
})
