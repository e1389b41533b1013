import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { session, setUnauthorizedHandler, upload } from '../src/api.js'
import {
  canResend, isAwaiting, ownersPending, contentPayload, contentToForm, dayChartOption, debounce, decisionKey, formatBytes, groupChartOption,
  hasContent, pct, previewOutcome, ratingChartOption, splitValidation, toCsv,
} from '../src/lib/push.js'

describe('formatBytes', () => {
  it('shows sizes in binary units with one decimal under ten', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(340 * 1024)).toBe('340 KB')
    expect(formatBytes(2 * 1024 * 1024 - 1)).toBe('2.0 MB')
    expect(formatBytes(null)).toBe('')
  })
})

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())
  it('calls once with the last arguments after the pause, and can be cancelled', () => {
    const fn = vi.fn()
    const d = debounce(fn, 300)
    d(1); d(2); d(3)
    vi.advanceTimersByTime(299)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledExactlyOnceWith(3)
    d(4); d.cancel()
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
  })
})

describe('content conversion', () => {
  it('sends only the parts that are filled in, trimmed', () => {
    const form = contentToForm({ text: '你好', link: ' https://a.cn ' })
    expect(contentPayload(form)).toEqual({ text: '你好', link: 'https://a.cn' })
    expect(hasContent(contentToForm({}))).toBe(false)
    expect(contentPayload(contentToForm({ miniprogram: { appid: 'wx1', pagePath: 'p', title: 'T' } }))).toEqual({ miniprogram: { appid: 'wx1', pagePath: 'p', title: 'T' } })
  })
  it('gives the form every field even when the template has few', () => {
    expect(contentToForm({ image: 'abc' })).toEqual({ text: '', image: 'abc', link: '', miniprogram: { appid: '', pagePath: '', title: '' } })
  })
})

describe('preview results', () => {
  it('separates channel refusals (they name groups) from content problems', () => {
    const r = splitValidation({ isValid: false, errors: [
      { field: 'content.text', message: '群 A、群 B 的渠道（机器人）不支持：文字超过 2048 字节' },
      { field: 'content.link', message: '链接无效，请以 https:// 开头' },
    ] })
    expect(r.valid).toBe(false)
    expect(r.channel.map((e) => e.field)).toEqual(['content.text'])
    expect(r.content.map((e) => e.field)).toEqual(['content.link'])
    expect(splitValidation({ isValid: true, errors: [] })).toEqual({ valid: true, channel: [], content: [] })
  })
  it('lists who got the preview and the named warnings (e.g. no quota)', () => {
    const out = previewOutcome({ previewId: 'p1', warnings: ['李老师没有订阅额度'], recipients: [
      { name: '王老师', status: 'sent' }, { name: '李老师', status: 'no_quota' },
    ] })
    expect(out.sent.map((r) => r.name)).toEqual(['王老师'])
    expect(out.notSent.map((r) => r.name)).toEqual(['李老师'])
    expect(out.warnings).toEqual(['李老师没有订阅额度'])
  })
  it('names each reviewer decision', () => {
    expect([{ decision: 'confirm' }, { decision: 'modify' }, { decision: null }].map(decisionKey)).toEqual(['confirm', 'modify', 'waiting'])
  })
})

describe('pushes', () => {
  it('offers a resend only for a finished push with failed or uncertain groups', () => {
    expect(canResend({ status: 'completed', failedCount: 0, uncertainCount: 0 })).toBe(false)
    expect(canResend({ status: 'failed', failedCount: 2, uncertainCount: 0 })).toBe(true)
    expect(canResend({ status: 'completed', failedCount: 0, uncertainCount: 1 })).toBe(true)
    expect(canResend({ status: 'running', failedCount: 1, uncertainCount: 0 })).toBe(false)
  })
})

describe('feedback charts and CSV', () => {
  it('orders groups by interaction rate, best at the top of the bar chart', () => {
    const o = groupChartOption([
      { groupName: 'A', interactionRate: 0.1 }, { groupName: 'B', interactionRate: 0.5 }, { groupName: 'C', interactionRate: 0.25 },
    ])
    expect(o.yAxis.data).toEqual(['A', 'C', 'B']) // ECharts draws the last category at the top
    expect(o.series[0].data).toEqual([10, 25, 50])
  })
  it('plots deliveries and responses per day and leaves out empty ratings', () => {
    const d = dayChartOption([{ date: '2026-11-01', deliveries: 3, responses: 1 }])
    expect(d.xAxis.data).toEqual(['2026-11-01'])
    expect(d.series.map((s) => s.data)).toEqual([[3], [1]])
    const r = ratingChartOption({ 5: 2, 1: 0, 3: 1 })
    expect(r.series[0].data).toEqual([{ name: '3★', value: 1 }, { name: '5★', value: 2 }])
    expect(pct(0.1234)).toBe('12.3%')
  })
  it('writes CSV that Excel reads and that cannot inject formulas', () => {
    const csv = toCsv([{ a: '=SUM(1)', b: 'x,"y"' }], [['A', (r) => r.a], ['B', (r) => r.b]])
    expect(csv).toBe('\uFEFFA,B\r\n"\'=SUM(1)","x,""y"""\r\n')
  })
})

describe('image upload', () => {
  class FakeXhr {
    static last = null
    constructor() { this.headers = {}; this.upload = {}; FakeXhr.last = this }
    open(method, url) { this.method = method; this.url = url }
    setRequestHeader(k, v) { this.headers[k] = v }
    send(body) { this.body = body }
    finish(status, body) { this.status = status; this.responseText = JSON.stringify(body); this.onload() }
  }
  beforeEach(() => { localStorage.clear(); session.save({ token: 'tok', user: {} }) })

  it('posts the file as multipart field "file" and reports progress', async () => {
    const seen = []
    const p = upload('/media', new File(['x'], 'a.png', { type: 'image/png' }), (n) => seen.push(n), { Xhr: FakeXhr })
    const xhr = FakeXhr.last
    expect([xhr.method, xhr.url, xhr.headers.Authorization]).toEqual(['POST', '/api/media', 'Bearer tok'])
    expect(xhr.body.get('file').name).toBe('a.png')
    xhr.upload.onprogress({ lengthComputable: true, loaded: 50, total: 200 })
    xhr.finish(201, { mediaId: 'm1', bytes: 10 })
    expect(await p).toEqual({ mediaId: 'm1', bytes: 10 })
    expect(seen).toEqual([25, 100])
  })

  it('rejects with the server field message and goes to sign-in on 401', async () => {
    let p = upload('/media', new File(['x'], 'a.gif'), null, { Xhr: FakeXhr })
    FakeXhr.last.finish(400, { error: 'Invalid image', details: [{ field: 'file', message: '只支持 JPG/PNG' }] })
    await expect(p).rejects.toMatchObject({ status: 400, details: [{ field: 'file', message: '只支持 JPG/PNG' }] })
    const redirected = []
    setUnauthorizedHandler((path) => redirected.push(path))
    p = upload('/media', new File(['x'], 'a.png'), null, { Xhr: FakeXhr })
    FakeXhr.last.finish(401, { error: 'Unauthorized' })
    await expect(p).rejects.toMatchObject({ status: 401, handled: true })
    expect(redirected.length).toBe(1)
    expect(session.token).toBe(null)
  })
})

describe('collect feedback switch', async () => {
  const { emptyForm, formToPayload, taskToForm } = await import('../src/lib/taskForm.js')
  it('is off for a new task and round-trips through the API shape', () => {
    expect(emptyForm().feedbackEnabled).toBe(false)
    const f = taskToForm({ name: 'x', schedule: {}, content: {}, feedbackEnabled: true })
    expect(f.feedbackEnabled).toBe(true)
    expect(formToPayload(f, 'draft').feedbackEnabled).toBe(true)
  })
})

describe('owners pending (WeCom customer groups)', () => {
  const push = { awaitingCount: 3, awaitingOwners: [{ owner: 'zhangsan', ownerName: '张三', groups: 2 }, { owner: 'lisi', ownerName: '李四', groups: 1 }] }
  it('names each owner with their groups, most first as the API sends them', () => {
    expect(ownersPending(push, (n) => `（${n} 个群）`)).toBe('张三（2 个群）、李四（1 个群）')
    expect(ownersPending({}, (n) => n)).toBe('')
  })
  it('says whether a push still waits for someone', () => {
    expect(isAwaiting(push)).toBe(true)
    expect(isAwaiting({ awaitingCount: 0 })).toBe(false)
    expect(isAwaiting(null)).toBe(false)
  })
})
