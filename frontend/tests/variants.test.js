import { describe, expect, it } from 'vitest'
import { addVariant, emptyForm, formToPayload, openVariant, removeVariant, taskToForm } from '../src/lib/taskForm.js'

describe('A/B variants in the task form', () => {
  it('turns one content into A and B, each edited on its own tab', () => {
    const f = emptyForm()
    f.content.text = '原文'
    addVariant(f)
    expect(f.variants.map((v) => v.key)).toEqual(['A', 'B'])
    expect(f.activeVariant).toBe('B')
    f.content.text = 'B 的内容' // the fields edit the open tab's variant
    openVariant(f, 'A')
    expect(f.content.text).toBe('原文')
    const body = formToPayload(f, 'draft')
    expect(body.content).toBeUndefined()
    expect(body.variants.map((v) => [v.key, v.content.text])).toEqual([['A', '原文'], ['B', 'B 的内容']])
  })

  it('adds up to D and goes back to one content when one variant is left', () => {
    const f = emptyForm()
    addVariant(f); addVariant(f); addVariant(f); addVariant(f)
    expect(f.variants.map((v) => v.key)).toEqual(['A', 'B', 'C', 'D'])
    removeVariant(f, 'B'); removeVariant(f, 'C'); removeVariant(f, 'D')
    expect(f.variants).toEqual([])
    expect(formToPayload(f, 'draft').content).toBeDefined()
  })

  it('loads a task with variants and says when they are removed on save', () => {
    const task = {
      name: 'x', schedule: {}, content: { text: 'a' },
      variants: [{ key: 'A', content: { text: 'a' } }, { key: 'B', content: { text: 'b', link: 'https://e.example' } }],
    }
    const f = taskToForm(task)
    expect(f.content.text).toBe('a')
    openVariant(f, 'B')
    expect(f.content.link).toBe('https://e.example')
    removeVariant(f, 'A')
    const body = formToPayload(f, 'draft')
    expect(body.variants).toBeNull()
    expect(body.content.text).toBe('b')
  })
})

describe('the preview state of an A/B task', async () => {
  const { latestDecision } = await import('../src/composables/useTaskPreview.js')
  const pv = (variant, status, decisions = []) => ({
    previewId: `p${variant}`, variant, status, contentVersion: 2, createdAt: '2026-03-02T01:00:00Z', stale: false, recipients: [], decisions,
  })
  it('waits until every variant is confirmed', () => {
    const confirmA = [{ name: '张老师', comment: null, timestamp: '2026-03-02T01:01:00Z' }]
    expect(latestDecision([pv('A', 'confirmed', confirmA), pv('B', 'pending')]).status).toBe('pending')
    expect(latestDecision([pv('A', 'confirmed', confirmA), pv('B', 'confirmed')])).toMatchObject({ status: 'confirmed', name: '张老师' })
    expect(latestDecision([pv('A', 'confirmed'), pv('B', 'modify_requested')]).status).toBe('modify_requested')
  })
})
