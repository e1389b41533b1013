const { nextFireText, countChars } = require('../utils/format')

describe('the next push time in words (Beijing time in tests)', () => {
  const now = new Date('2026-03-09T01:00:00Z') // 09:00 on Monday 9 March in Beijing
  test.each([
    ['2026-03-09T01:20:00Z', '20 分钟后'],
    ['2026-03-09T10:00:00Z', '今天 18:00'],
    ['2026-03-10T00:30:00Z', '明天 08:30'],
    ['2026-03-11T12:00:00Z', '后天 20:00'],
    ['2026-04-01T02:05:00Z', '4月1日 10:05'],
    ['2027-01-02T02:05:00Z', '2027年1月2日 10:05'],
    ['2026-03-08T00:00:00Z', '已过时间'],
    [null, '无后续推送'],
  ])('%s reads %s', (iso, words) => {
    expect(nextFireText(iso, now)).toBe(words)
  })
})

describe('character counting, as a reader sees them', () => {
  test.each([
    ['', 0],
    ['你好', 2],
    ['👨‍👩‍👧', 1],
    ['👍🏽', 1],
    ['e\u0301', 1],
    ['第一行\n第二行', 7],
  ])('%j has %i characters', (value, n) => {
    expect(countChars(value)).toBe(n)
  })
})
