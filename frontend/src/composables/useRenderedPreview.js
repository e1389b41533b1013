// The chat preview for one chosen group of the task: the server fills {{群名}} and {{日期}} as that
// group's push will (POST /api/preview/render). Without variables, or before an answer, the preview
// shows the content as typed.
import { computed, onUnmounted, ref, watch } from 'vue'
import { api } from '../api.js'
import { debounce } from '../lib/push.js'

const VARIABLE = /\{\{[^{}]*\}\}/

/** `form` the task form's model; `taskId` a computed id (null for a new task: {{日期}} is then today). */
export function useRenderedPreview({ form, taskId }) {
  const groupId = ref('')
  const rendered = ref(null) // { text, link } as the chosen group gets them
  // Follow the form's groups: keep the choice while it is one of them, else take the first.
  watch(() => form.groups.join(','), () => {
    if (!form.groups.includes(groupId.value)) groupId.value = form.groups[0] || ''
  }, { immediate: true })

  let seq = 0
  const run = debounce(async () => {
    const mine = ++seq
    const text = form.content.text || ''
    const link = (form.content.link || '').trim()
    if (!groupId.value || !(VARIABLE.test(text) || VARIABLE.test(link))) {
      rendered.value = null
      return
    }
    const content = {}
    if (text) content.text = text
    if (link) content.link = link
    try {
      const res = await api.renderPreview({ content, groupId: groupId.value, ...(taskId.value ? { taskId: taskId.value } : {}) })
      if (mine === seq) rendered.value = { text: res.content.text, link: res.content.link }
    } catch {
      if (mine === seq) rendered.value = null // advisory: the content as typed
    }
  }, 300)
  watch(() => [groupId.value, form.content.text, form.content.link, taskId.value], () => run(), { immediate: true })
  onUnmounted(() => run.cancel())

  const shown = computed(() => (rendered.value
    ? { ...form.content, text: rendered.value.text ?? form.content.text, link: rendered.value.link ?? form.content.link }
    : form.content))
  return { groupId, shown }
}
