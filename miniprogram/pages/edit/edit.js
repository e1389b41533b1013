// Create or edit a task as a step form (PRD §6): time → content → groups → reviewers → preview.
// 下一步 checks the step with the server's rules (no save). A new task or a draft is saved by 保存草稿,
// by 发送预览 (the preview needs a saved task) and by 提交. A scheduled or paused task is changed once,
// at the end, by 保存修改: no step ever writes half an edit into a live task. Running, completed and
// failed tasks cannot be edited and open read-only instead.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const rules = require('../../utils/rules')
const { countChars } = require('../../utils/format')

const LAST_STEP = 4
const LIVE = ['scheduled', 'paused']
const READ_ONLY = ['running', 'completed', 'failed']

function emptyForm() {
  return {
    name: '',
    type: 'once',
    date: '',
    time: '',
    recurringInterval: '',
    interval: '1',
    weekdays: [],
    monthDay: '',
    endMode: 'never',
    recurringEnd: '',
    endAfter: '',
    priority: 'medium',
    text: '',
    link: '',
    image: '',
    miniprogram: { appid: '', pagePath: '', title: '', thumbnail: '' },
    feedbackEnabled: false,
    groups: [],
    previewRecipients: [],
  }
}

/** Fill the form from GET /api/tasks/<id>; the schedule time is shown in the task's own zone. */
function formOf(task) {
  const s = task.schedule
  const c = task.content
  const mp = c.miniprogram || {}
  return {
    name: task.name,
    type: s.type,
    date: s.time.slice(0, 10),
    time: s.time.slice(11, 16),
    recurringInterval: s.recurringInterval || '',
    interval: String(s.interval || 1),
    weekdays: (s.weekdays || []).map(String),
    monthDay: s.monthDay ? String(s.monthDay) : '',
    endMode: s.recurringEnd ? 'date' : s.endAfter ? 'count' : 'never',
    recurringEnd: s.recurringEnd ? s.recurringEnd.slice(0, 10) : '',
    endAfter: s.endAfter ? String(s.endAfter) : '',
    priority: task.priority,
    text: c.text || '',
    link: c.link || '',
    image: c.image || '',
    miniprogram: { appid: mp.appid || '', pagePath: mp.pagePath || '', title: mp.title || '', thumbnail: mp.thumbnail || '' },
    feedbackEnabled: !!task.feedbackEnabled,
    groups: task.groups.slice(),
    previewRecipients: task.previewRecipients.slice(),
  }
}

/** The POST/PUT body: the time has no offset, so the server reads it in the task's zone. */
function bodyOf(form) {
  const recurring = form.type === 'recurring'
  const interval = recurring ? form.recurringInterval || null : null
  const schedule = {
    type: form.type,
    time: `${form.date}T${form.time || '00:00'}:00`,
    recurringInterval: interval,
    weekdays: interval === 'weekly' ? form.weekdays.map(Number).sort() : null,
    monthDay: interval === 'monthly' && form.monthDay ? Number(form.monthDay) : null,
    recurringEnd: recurring && form.endMode === 'date' && form.recurringEnd ? `${form.recurringEnd}T23:59:00` : null,
    endAfter: recurring && form.endMode === 'count' && form.endAfter ? Number(form.endAfter) : null,
  }
  if (recurring) schedule.interval = Math.max(1, Number(form.interval) || 1)
  const mp = form.miniprogram
  const card = mp.appid || mp.pagePath || mp.title
  return {
    name: form.name.trim(),
    schedule,
    content: {
      text: form.text.trim() ? form.text : null,
      image: form.image || null,
      link: form.link.trim() || null,
      miniprogram: card
        ? { appid: mp.appid.trim(), pagePath: mp.pagePath.trim(), title: mp.title.trim(), thumbnail: mp.thumbnail.trim() || null }
        : null,
    },
    priority: form.priority,
    feedbackEnabled: form.feedbackEnabled,
    groups: form.groups,
    previewRecipients: form.previewRecipients,
  }
}

/** Turn a 400's details into {step, errors} so the form shows each message next to its field. */
function placeErrors(details) {
  const errors = {}
  let step = LAST_STEP
  details.forEach(d => {
    step = Math.min(step, rules.stepOfField(d.field))
    const key = rules.formFieldOf(d.field)
    if (!errors[key]) errors[key] = d.message
  })
  return { step, errors }
}

Component({
  data: {
    t: i18n.t(),
    steps: [],
    step: 0,
    taskId: '',
    mode: 'new', // new | draft | live
    form: emptyForm(),
    errors: {},
    formError: '',
    loading: false,
    busy: false,
    uploading: false,
    textCount: 0,
    chosenGroupsText: '',
    chosenRecipientsText: '',
    files: [],
    weekdayOptions: [],
    templates: [],
    groupQuery: '',
    groupOptions: [],
    recipientQuery: '',
    recipientOptions: [],
    previewNotice: '',
    previewWarnings: [],
    previewProblems: [],
    saved: false,
  },
  methods: {
    onLoad(query) {
      const m = i18n.t()
      this.setData({
        t: m,
        steps: m.edit.steps.map(text => ({ text })),
        weekdayOptions: m.edit.weekdays.map((label, i) => ({ value: String(i + 1), label })),
      })
      this.refreshDerived(this.data.form)
      wx.setNavigationBarTitle({ title: query && query.id ? m.edit.titleEdit : m.edit.titleNew })
      const templates = api
        .listTemplates()
        .then(list => this.setData({ templates: list }))
        .catch(() => null)
      if (!query || !query.id) return templates
      this.setData({ taskId: query.id, loading: true })
      return Promise.all([templates, api.getTask(query.id)])
        .then(([, task]) => {
          if (READ_ONLY.indexOf(task.status) >= 0) {
            wx.showToast({ title: m.edit.readOnly, icon: 'none' })
            wx.redirectTo({ url: `/pages/task/task?id=${encodeURIComponent(query.id)}` })
            return
          }
          const form = formOf(task)
          this.imageUrl = task.content.imageUrl || ''
          this.imageName = task.content.imageName || ''
          this.setData({ form, loading: false, mode: LIVE.indexOf(task.status) >= 0 ? 'live' : 'draft' })
          this.refreshDerived(form)
        })
        .catch(err => this.setData({ loading: false, formError: err.message }))
    },

    refreshDerived(form) {
      const files = form.image ? [{ url: this.imageUrl || '', name: this.imageName || '', isImage: true, deletable: true }] : []
      const m = this.data.t
      this.setData({
        textCount: countChars(form.text),
        files,
        chosenGroupsText: m.edit.groupsChosen(form.groups.length),
        chosenRecipientsText: m.edit.recipientsChosen(form.previewRecipients.length),
      })
    },

    update(changes) {
      const form = { ...this.data.form, ...changes }
      const errors = { ...this.data.errors }
      Object.keys(changes).forEach(k => delete errors[k])
      delete errors.content
      this.setData({ form, errors, formError: '' })
      this.refreshDerived(form)
    },

    // van-field / van-radio-group / van-checkbox-group / van-switch answer with e.detail as the value;
    // native pickers with e.detail.value.
    onField(e) {
      const value = e.detail && typeof e.detail === 'object' && 'value' in e.detail ? e.detail.value : e.detail
      this.update({ [e.currentTarget.dataset.field]: value })
    },
    onCard(e) {
      this.update({ miniprogram: { ...this.data.form.miniprogram, [e.currentTarget.dataset.field]: e.detail } })
    },
    onType(e) {
      const type = e.detail
      this.update({ type, recurringInterval: type === 'recurring' ? this.data.form.recurringInterval || 'weekly' : '' })
    },
    onTemplate(e) {
      const template = this.data.templates[Number(e.detail.value)]
      if (!template) return
      const c = template.content || {}
      const changes = { text: c.text || this.data.form.text, link: c.link || this.data.form.link }
      if (c.image) {
        // Templates carry their picture's signed URL (imageUrl) like task content does.
        this.imageUrl = c.imageUrl || ''
        this.imageName = c.imageName || ''
        changes.image = c.image
      }
      this.update(changes)
      wx.showToast({ title: this.data.t.edit.templateApplied(template.name), icon: 'none' })
    },

    // van-uploader: it calls wx.chooseMedia (asking for the privacy agreement first where needed),
    // then hands us the file; we upload it and show the server's signed `url`.
    onAfterRead(e) {
      const file = Array.isArray(e.detail.file) ? e.detail.file[0] : e.detail.file
      this.setData({ uploading: true, 'errors.image': '', files: [{ url: file.url, status: 'uploading', message: this.data.t.edit.uploading }] })
      return api
        .uploadImage(file.url)
        .then(media => {
          this.imageUrl = media.url || file.url
          this.imageName = media.fileName || ''
          this.setData({ uploading: false })
          this.update({ image: media.mediaId })
        })
        .catch(err => {
          this.setData({ uploading: false, 'errors.image': err.message })
          this.refreshDerived(this.data.form)
        })
    },
    /** wx.chooseMedia failed: say so, unless the user only cancelled (never fail silently). */
    onPickError(e) {
      const errMsg = (e.detail && e.detail.errMsg) || ''
      if (/cancel/.test(errMsg)) return
      this.setData({ 'errors.image': this.data.t.edit.pickFailed })
    },
    removeImage() {
      this.imageUrl = ''
      this.imageName = ''
      this.update({ image: '' })
    },

    onSearchChange(e) {
      this.setData({ [e.currentTarget.dataset.kind === 'group' ? 'groupQuery' : 'recipientQuery']: e.detail })
    },
    searchGroups() {
      return api
        .listGroups(this.data.groupQuery.trim())
        .then(body => this.setData({ groupOptions: body.groups }))
        .catch(err => this.setData({ formError: err.message }))
    },
    searchRecipients() {
      return api
        .listRecipients(this.data.recipientQuery.trim())
        .then(body => this.setData({ recipientOptions: body.recipients }))
        .catch(err => this.setData({ formError: err.message }))
    },
    /** 全选 / 反选 over the options listed now; choices outside the current search are kept. */
    selectAll(e) {
      const { field, ids } = this.listed(e.currentTarget.dataset.kind)
      const chosen = this.data.form[field]
      this.update({ [field]: chosen.concat(ids.filter(id => chosen.indexOf(id) < 0)) })
    },
    invert(e) {
      const { field, ids } = this.listed(e.currentTarget.dataset.kind)
      const chosen = this.data.form[field]
      const kept = chosen.filter(id => ids.indexOf(id) < 0)
      this.update({ [field]: kept.concat(ids.filter(id => chosen.indexOf(id) < 0)) })
    },
    listed(kind) {
      return kind === 'group'
        ? { field: 'groups', ids: this.data.groupOptions.map(g => g.groupId) }
        : { field: 'previewRecipients', ids: this.data.recipientOptions.map(r => r.recipientId) }
    },

    goTo(step) {
      this.setData({ step, formError: '' })
      if (step === 2 && !this.data.groupOptions.length) return this.searchGroups()
      if (step === 3 && !this.data.recipientOptions.length) return this.searchRecipients()
      return Promise.resolve()
    },
    prev() {
      return this.goTo(Math.max(0, this.data.step - 1))
    },
    /** Check the current step and move on; nothing is saved here. */
    next() {
      const errors = rules.checkStep(this.data.step, this.data.form)
      if (Object.keys(errors).length) {
        this.setData({ errors })
        return Promise.resolve(false)
      }
      return this.goTo(this.data.step + 1).then(() => true)
    },

    saveDraft() {
      if (this.data.mode === 'live') return Promise.resolve(false)
      // A draft needs a name and a time (the server's minimum); the other steps may be unfinished.
      const errors = rules.checkStep(0, this.data.form)
      if (Object.keys(errors).length) {
        this.setData({ errors })
        return this.goTo(0).then(() => false)
      }
      return this.save().then(ok => {
        if (ok) wx.showToast({ title: this.data.t.common.saved, icon: 'success' })
        return ok
      })
    },

    /** One request with the whole form: create the draft, or update the task; `extra` e.g. {status}. */
    save(extra) {
      const body = { ...bodyOf(this.data.form), ...(extra || {}) }
      this.setData({ busy: true, formError: '' })
      const saving = this.data.taskId ? api.updateTask(this.data.taskId, body) : api.createTask({ status: 'draft', ...body })
      return saving
        .then(result => {
          this.setData({ busy: false, taskId: result.taskId, mode: this.data.mode === 'new' ? 'draft' : this.data.mode, saved: true })
          return true
        })
        .catch(err => {
          this.showError(err)
          return false
        })
    },

    checkAll(last) {
      for (let step = 0; step <= last; step += 1) {
        const errors = rules.checkStep(step, this.data.form)
        if (Object.keys(errors).length) {
          this.setData({ errors })
          return this.goTo(step).then(() => false)
        }
      }
      return Promise.resolve(true)
    },

    /** A scheduled or paused task: every change in one PUT, at the end. */
    saveChanges() {
      return this.checkAll(2).then(ok => {
        if (!ok) return false
        return this.save().then(saved => {
          if (saved) wx.showToast({ title: this.data.t.edit.savedChanges, icon: 'success' })
          return saved
        })
      })
    },

    showError(err) {
      if (err.status === 400 && err.details.length) {
        const placed = placeErrors(err.details)
        this.setData({ busy: false, step: placed.step, errors: placed.errors })
      } else {
        this.setData({ busy: false, formError: err.message })
      }
    },

    sendPreview() {
      const m = this.data.t
      const errors = { ...rules.checkStep(1, this.data.form), ...rules.checkStep(3, this.data.form) }
      if (Object.keys(errors).length) {
        this.setData({ previewProblems: Object.keys(errors).map(k => errors[k]), previewNotice: '', previewWarnings: [] })
        return Promise.resolve(false)
      }
      // A live task is previewed as saved (保存修改 first); a new task or a draft is saved now.
      const ready = this.data.mode === 'live' ? Promise.resolve(true) : this.save()
      return ready.then(ok => {
        if (!ok) return false
        this.setData({ busy: true, previewNotice: '', previewProblems: [], previewWarnings: [] })
        return api
          .sendPreview(this.data.taskId)
          .then(result => {
            // The server's warnings (a reviewer without a subscription, a failed send) are shown as sent:
            // "预览已发送" alone only when every reviewer got it.
            const warnings = result.warnings || []
            this.setData({
              busy: false,
              previewNotice: warnings.length ? m.edit.previewPartly : m.edit.previewSent,
              previewWarnings: warnings,
            })
            return true
          })
          .catch(err => {
            const validation = err.body && err.body.validation
            const problems = validation ? (validation.errors || []).map(e => (typeof e === 'string' ? e : e.message)) : [err.message]
            this.setData({ busy: false, previewProblems: problems.length ? problems : [m.edit.previewInvalid] })
            return false
          })
      })
    },

    /** Check every step, then schedule the task in the same request that saves it. */
    submit() {
      return this.checkAll(2).then(ok => {
        if (!ok) return false
        return this.save({ status: 'scheduled' }).then(saved => {
          if (!saved) return false
          wx.showToast({ title: this.data.t.edit.submitted, icon: 'success' })
          wx.navigateBack()
          return true
        })
      })
    },
  },
})
