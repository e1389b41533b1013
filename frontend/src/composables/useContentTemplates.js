// Content templates in the task form: 套用模板 (asks before replacing content) and 存为模板.
import { onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessageBox } from 'element-plus'
import { api } from '../api.js'
import { contentPayload, contentToForm, hasContent } from '../lib/push.js'
import { showError, showSuccess } from '../ui.js'

/** `onApplied()` runs after a template replaced the content (e.g. to drop a local image URL). */
export function useContentTemplates({ form, onApplied = () => {} }) {
  const { t } = useI18n()
  const templates = ref([])
  const loadTemplates = () => api.listTemplates().then((r) => { templates.value = Array.isArray(r) ? r : [] }).catch(() => {})
  onMounted(loadTemplates)

  async function applyTemplate(tpl) {
    if (hasContent(form.content)) {
      try {
        await ElMessageBox.confirm(t('tpl.applyConfirm', { name: tpl.name }), t('tpl.apply'), { type: 'info' })
      } catch { return }
    }
    form.content = contentToForm(tpl.content)
    onApplied()
    showSuccess(t('tpl.applied'))
  }

  async function saveAsTemplate() {
    if (!hasContent(form.content)) return showError(new Error(t('pv.needContent')))
    let name
    try {
      ({ value: name } = await ElMessageBox.prompt(t('tpl.saveAsPrompt'), t('tpl.saveAs'), {
        inputValue: form.name, inputValidator: (v) => (v && v.trim() ? true : t('tpl.nameRequired')),
      }))
    } catch { return }
    try {
      await api.createTemplate({ name: name.trim(), content: contentPayload(form.content) })
      showSuccess(t('tpl.saved'))
      loadTemplates()
    } catch (e) {
      showError(e)
    }
  }

  return { templates, applyTemplate, saveAsTemplate }
}
