// Pure helpers for the preview, push, template and feedback screens (unit-tested).

/** "1.2 MB", "340 KB", "512 B" (binary units, one decimal under 10). */
export function formatBytes(n) {
  if (n === null || n === undefined || Number.isNaN(+n)) return ''
  const units = ['B', 'KB', 'MB', 'GB']
  let v = +n
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  const digits = i === 0 || v >= 10 ? 0 : 1
  return `${v.toFixed(digits)} ${units[i]}`
}

/** Call `fn` once `ms` after the last call; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = null
  const wrapped = (...args) => {
    clearTimeout(timer)
    timer = setTimeout(() => { timer = null; fn(...args) }, ms)
  }
  wrapped.cancel = () => { clearTimeout(timer); timer = null }
  return wrapped
}

/** A form's content as the API's ContentIn (empty parts left out). */
export function contentPayload(c) {
  const mp = c.miniprogram || {}
  const hasMp = !!(mp.appid || mp.pagePath || mp.title)
  const out = {}
  if (c.text) out.text = c.text
  if (c.image?.trim()) out.image = c.image.trim()
  if (c.link?.trim()) out.link = c.link.trim()
  if (hasMp) out.miniprogram = { appid: (mp.appid || '').trim(), pagePath: (mp.pagePath || '').trim(), title: (mp.title || '').trim() }
  return out
}

/** A template's (or any stored) content as the form's content model. */
export function contentToForm(c = {}) {
  const mp = c.miniprogram || {}
  return {
    text: c.text || '', image: c.image || '', link: c.link || '',
    miniprogram: { appid: mp.appid || '', pagePath: mp.pagePath || '', title: mp.title || '' },
  }
}

/** Whether a content has anything in it. */
export function hasContent(c) {
  return Object.keys(contentPayload(c)).length > 0
}

/**
 * The validation errors of /preview/validate grouped for display: problems that name target
 * groups (a channel refusing the content) apart from the content's own problems.
 */
export function splitValidation(validation) {
  const errors = validation?.errors || []
  const channel = []
  const content = []
  for (const e of errors) (/群|groups?\b/i.test(e.message || '') ? channel : content).push(e)
  return { valid: !!validation?.isValid, channel, content }
}

/** What a preview send came back with: reviewers by outcome, and the warnings to show. */
export function previewOutcome(res) {
  const recipients = res?.recipients || []
  return {
    previewId: res?.previewId || null,
    sent: recipients.filter((r) => r.status === 'sent' || r.status === 'sending'),
    notSent: recipients.filter((r) => !['sent', 'sending'].includes(r.status)),
    warnings: res?.warnings || [],
  }
}

export const DELIVERY_TAG = {
  pending: 'info', sending: 'warning', sent: 'success', failed: 'danger', uncertain: 'warning',
  // Two-phase channels: a person confirms the send later (or not before the deadline).
  awaiting_confirmation: 'warning', cancelled: 'info', unconfirmed: 'warning',
}
export const PUSH_TAG = { running: 'warning', completed: 'success', failed: 'danger', missed: 'danger' }

/** Whether a push has groups that a resend would send again. */
export function canResend(push) {
  return !!push && push.status !== 'running' && (push.failedCount || 0) + (push.uncertainCount || 0) + (push.unconfirmedCount || 0) > 0
}

/** Whether a push has groups waiting for a person (a WeCom customer group's owner) to confirm. */
export function isAwaiting(push) {
  return !!push && (push.awaitingCount || 0) > 0
}

/** "张三（2 个群）、李四（1 个群）": the owners who must still confirm, from a push's awaitingOwners. */
export function ownersPending(push, groupsWord = (n) => `${n}`, sep = '、') {
  return (push?.awaitingOwners || []).map((o) => `${o.ownerName}${groupsWord(o.groups)}`).join(sep)
}

/** A preview reviewer's decision label key: confirm / modify / waiting. */
export function decisionKey(r) {
  return r.decision === 'confirm' ? 'confirm' : r.decision === 'modify' ? 'modify' : 'waiting'
}

/** Percentage text for a 0..1 rate. */
export const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`)

/** ECharts option: interaction rate per group (horizontal bars, busiest groups first). */
export function groupChartOption(byGroup = [], { rateLabel = 'rate', limit = 15 } = {}) {
  const rows = [...byGroup].sort((a, b) => b.interactionRate - a.interactionRate).slice(0, limit).reverse()
  return {
    grid: { left: 8, right: 40, top: 10, bottom: 10, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => `${v}%` },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', data: rows.map((g) => g.groupName) },
    series: [{ name: rateLabel, type: 'bar', data: rows.map((g) => +(g.interactionRate * 100).toFixed(1)), itemStyle: { color: '#07c160' } }],
  }
}

/** ECharts option: deliveries and responses per day. */
export function dayChartOption(overTime = [], { deliveries = 'deliveries', responses = 'responses' } = {}) {
  return {
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { data: [deliveries, responses], top: 0 },
    xAxis: { type: 'category', data: overTime.map((d) => d.date) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: deliveries, type: 'bar', data: overTime.map((d) => d.deliveries), itemStyle: { color: '#a0cfff' } },
      { name: responses, type: 'line', smooth: true, data: overTime.map((d) => d.responses), itemStyle: { color: '#07c160' } },
    ],
  }
}

/** ECharts option: the ratings 1–5 as a pie (ratings with no answers left out). */
export function ratingChartOption(ratings = {}, starLabel = (n) => `${n}★`) {
  const data = Object.entries(ratings).filter(([, v]) => v > 0).sort(([a], [b]) => +a - +b).map(([k, v]) => ({ name: starLabel(k), value: v }))
  return {
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: ['40%', '70%'], data, label: { formatter: '{b}: {c}' } }],
  }
}

/** RFC 4180 CSV (with a BOM so Excel reads UTF-8). `columns` = [[header, row => value], ...]. */
export function toCsv(rows, columns) {
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s
  }
  const lines = [columns.map(([h]) => cell(h)).join(',')]
  for (const r of rows) lines.push(columns.map(([, f]) => cell(f(r))).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

/** The engagement report's rows summed per group (members reached, people who interacted, the rate). */
export function engagementByGroup(rows = []) {
  const groups = new Map()
  for (const r of rows) {
    const g = groups.get(r.groupId) || { groupId: r.groupId, groupName: r.groupName, membersReached: 0, interactors: 0 }
    g.membersReached += r.membersReached
    g.interactors += r.interactors
    groups.set(r.groupId, g)
  }
  return [...groups.values()].map((g) => ({ ...g, interactionRate: g.membersReached ? g.interactors / g.membersReached : 0 }))
}

/** ECharts option: clicks (bars), new clickers and answers (lines) per day. */
export function engagementDayOption(overTime = [], { clicks = 'clicks', newClickers = 'new clickers', answers = 'answers' } = {}) {
  return {
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { data: [clicks, newClickers, answers], top: 0 },
    xAxis: { type: 'category', data: overTime.map((d) => d.date) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: clicks, type: 'bar', data: overTime.map((d) => d.clicks), itemStyle: { color: '#a0cfff' } },
      { name: newClickers, type: 'line', smooth: true, data: overTime.map((d) => d.newClickers), itemStyle: { color: '#409eff' } },
      { name: answers, type: 'line', smooth: true, data: overTime.map((d) => d.answers), itemStyle: { color: '#07c160' } },
    ],
  }
}
