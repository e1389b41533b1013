// Conversion between a Task from the API and the editable form model, and back to a request body.
// The form keeps wall-clock times in the task's zone; the API gets instants with an offset.
import { DEFAULT_ZONE, instantToWall, isoWeekday, wallToIso } from './time.js'

export const VARIANT_KEYS = ['A', 'B', 'C', 'D']

export function emptyContent() {
  return { text: '', image: '', link: '', miniprogram: { appid: '', pagePath: '', title: '' } }
}

/** The form's content fields from an API content object. */
export function contentToForm(c = {}) {
  const mp = c.miniprogram || {}
  return {
    text: c.text || '', image: c.image || '', link: c.link || '',
    miniprogram: { appid: mp.appid || '', pagePath: mp.pagePath || '', title: mp.title || '' },
  }
}

/** A request body's content from the form's content fields. */
export function contentToPayload(c) {
  const mp = c.miniprogram
  const hasMp = !!(mp.appid || mp.pagePath || mp.title)
  return {
    text: c.text,
    image: c.image.trim() || null,
    link: c.link.trim() || null,
    miniprogram: hasMp ? { appid: mp.appid.trim(), pagePath: mp.pagePath.trim(), title: mp.title.trim() } : null,
  }
}

/** The request body's `variants` (null when the form has one content). */
export function variantsPayload(form) {
  return form.variants.length >= 2 ? form.variants.map((v) => ({ key: v.key, content: contentToPayload(v.content) })) : null
}

/** Turn one content into variants A and B (B starts as a copy of A), or add the next key. */
export function addVariant(form) {
  if (!form.variants.length) {
    form.variants = [{ key: 'A', content: form.content }, { key: 'B', content: JSON.parse(JSON.stringify(form.content)) }]
  } else {
    const key = VARIANT_KEYS.find((k) => !form.variants.some((v) => v.key === k))
    if (!key) return
    form.variants.push({ key, content: JSON.parse(JSON.stringify(form.content)) })
  }
  openVariant(form, form.variants[form.variants.length - 1].key)
}

/** Remove a variant; with one left the task has one content again. */
export function removeVariant(form, key) {
  form.variants = form.variants.filter((v) => v.key !== key)
  if (form.variants.length < 2) {
    form.content = form.variants[0]?.content || form.content
    form.variants = []
    form.activeVariant = 'A'
    return
  }
  openVariant(form, form.variants[0].key)
}

/** Show this variant's content in the content fields (they edit it in place). */
export function openVariant(form, key) {
  const v = form.variants.find((x) => x.key === key)
  if (!v) return
  form.activeVariant = key
  form.content = v.content
}

export function emptyForm(zone = DEFAULT_ZONE) {
  return {
    name: '',
    schedule: {
      type: 'once', time: '', timezone: zone, recurringInterval: 'weekly', interval: 1,
      weekdays: [], monthDay: null, endMode: 'never', recurringEnd: '', endAfter: null,
    },
    content: emptyContent(),
    // A/B (issue 19): [] for one content, else 2–4 { key, content }; `content` is then the open tab's.
    variants: [],
    activeVariant: 'A',
    hadVariants: false,
    groups: [],
    priority: 'medium',
    previewRecipients: [],
    feedbackEnabled: false,
  }
}

/** The form model for an existing task. */
export function taskToForm(task) {
  const f = emptyForm()
  const s = task.schedule || {}
  const tz = s.timezone || DEFAULT_ZONE
  f.name = task.name || ''
  Object.assign(f.schedule, {
    type: s.type === 'recurring' ? 'recurring' : 'once',
    time: s.time ? instantToWall(s.time, tz) : '',
    timezone: tz,
    recurringInterval: s.recurringInterval || 'weekly',
    interval: s.interval || 1,
    weekdays: [...(s.weekdays || [])],
    monthDay: s.monthDay ?? null,
    endMode: s.endAfter ? 'count' : s.recurringEnd ? 'date' : 'never',
    recurringEnd: s.recurringEnd ? instantToWall(s.recurringEnd, tz).slice(0, 10) : '',
    endAfter: s.endAfter ?? null,
  })
  f.content = contentToForm(task.content || {})
  if (task.variants?.length) {
    f.variants = task.variants.map((v) => ({ key: v.key, content: contentToForm(v.content) }))
    f.content = f.variants[0].content
    f.hadVariants = true
  }
  f.groups = [...(task.groups || [])]
  f.priority = task.priority || 'medium'
  f.previewRecipients = [...(task.previewRecipients || [])]
  f.feedbackEnabled = !!task.feedbackEnabled
  return f
}

/** The schedule object of a request body, from the form's schedule. */
export function scheduleToPayload(s) {
  const tz = s.timezone
  const out = { type: s.type, time: s.time ? wallToIso(s.time, tz) : null, timezone: tz }
  if (s.type === 'recurring') {
    out.recurringInterval = s.recurringInterval
    out.interval = s.interval || 1
    if (s.recurringInterval === 'weekly') {
      out.weekdays = s.weekdays.length ? [...s.weekdays].sort() : [isoWeekday(s.time)].filter(Boolean)
    }
    if (s.recurringInterval === 'monthly') out.monthDay = s.monthDay || (s.time ? +s.time.slice(8, 10) : null)
    // An end date means "through that day" in the task's zone.
    out.recurringEnd = s.endMode === 'date' && s.recurringEnd ? wallToIso(`${s.recurringEnd}T23:59:59`, tz) : null
    out.endAfter = s.endMode === 'count' ? s.endAfter : null
  }
  return out
}

/** The POST/PUT body for the form with `status` ('draft' | 'scheduled'). */
export function formToPayload(form, status) {
  const variants = variantsPayload(form)
  return {
    name: form.name.trim(),
    schedule: scheduleToPayload(form.schedule),
    // With variants each one carries its content; a task that had variants and has one content again says so.
    ...(variants ? { variants } : { content: contentToPayload(form.content), ...(form.hadVariants ? { variants: null } : {}) }),
    groups: [...form.groups],
    priority: form.priority,
    status,
    previewRecipients: [...form.previewRecipients],
    feedbackEnabled: !!form.feedbackEnabled,
  }
}

/** Which actions a task offers in its current status (the server has the last word). */
export function taskActions(task, role) {
  const write = role === 'admin' || role === 'operator'
  const st = task.status
  return {
    edit: write && st !== 'running' && st !== 'completed',
    delete: write && (st === 'draft' || st === 'paused'),
    pause: write && (st === 'scheduled' || (st === 'running' && task.schedule?.type === 'recurring')),
    resume: write && st === 'paused',
    copy: write,
  }
}

/**
 * Fold a fresh page of rows into the rows on screen. When the same tasks come back in the same
 * order the existing objects are updated in place, so the table keeps its selection, scroll
 * position and open popovers; otherwise the new array is returned.
 */
export function mergeRows(current, fresh, key = 'taskId') {
  if (current.length === fresh.length && current.every((r, i) => r[key] === fresh[i][key])) {
    current.forEach((row, i) => {
      for (const k of Object.keys(row)) if (!(k in fresh[i])) delete row[k]
      Object.assign(row, fresh[i])
    })
    return current
  }
  return fresh
}
