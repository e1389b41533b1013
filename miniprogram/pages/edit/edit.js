// Create or edit a task as a step form (PRD §6): time → content → groups → reviewers → send preview.
// Each “下一步” checks the step with the server's rules and saves the draft, so nothing typed is lost.
const api = require('../../utils/api')
const messages = require('../../utils/messages')
const rules = require('../../utils/rules')
const { countChars } = require('../../utils/format')

const LAST_STEP = 4

function emptyForm() {
  return {
    name: '',
    type: 'once',
    date: '',
    time: '',
    recurringInterval: '',
    weekdays: [],
    monthDay: '',
    text: '',
    link: '',
    image: '',
    miniprogram: null,
    groups: [],
    previewRecipients: [],
  }
}

/** Fill the form from GET /api/tasks/<id>; the schedule time is shown in the task's own zone. */
function formOf(task) {
  const schedule = task.schedule || {}
  const time = schedule.time || ''
  const content = task.content || {}
  return {
    name: task.name || '',
    type: schedule.type || 'once',
    date: time.slice(0, 10),
    time: time.slice(11, 16),
    recurringInterval: schedule.recurringInterval || '',
    weekdays: schedule.weekdays || [],
    monthDay: schedule.monthDay ? String(schedule.monthDay) : '',
    text: content.text || '',
    link: content.link || '',
    image: content.image || '',
    miniprogram: content.miniprogram || null,
    groups: task.groups || [],
    previewRecipients: task.previewRecipients || [],
  }
}

/** Build the POST/PUT body: the time has no offset, so the server reads it in the task's zone. */
function bodyOf(form) {
  const recurring = form.type === 'recurring'
  const interval = recurring ? form.recurringInterval || null : null
  const schedule = {
    type: form.type,
    time: `${form.date}T${form.time || '00:00'}:00`,
    recurringInterval: interval,
    weekdays: interval === 'weekly' ? form.weekdays.slice().sort() : null,
    monthDay: interval === 'monthly' && form.monthDay ? Number(form.monthDay) : null,
  }
  const text = form.text.trim() ? form.text : null
  return {
    name: form.name.trim(),
    schedule,
    content: { text, image: form.image || null, link: form.link.trim() || null, miniprogram: form.miniprogram },
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
    t: messages,
    step: 0,
    taskId: '',
    form: emptyForm(),
    errors: {},
    formError: '',
    loading: false,
    busy: false,
    textCount: 0,
    imageUrl: '',
    frequencies: ['daily', 'weekly', 'monthly'].map(value => ({ value, label: messages.edit.frequencies[value] })),
    weekdays: [],
    groupQuery: '',
    groupOptions: [],
    chosenGroupsText: messages.edit.groupsChosen(0),
    recipientQuery: '',
    recipientOptions: [],
    chosenRecipientsText: messages.edit.recipientsChosen(0),
    previewNotice: '',
    previewProblems: [],
  },
  methods: {
    onLoad(query) {
      this.refreshDerived(this.data.form)
      if (!query || !query.id) return Promise.resolve()
      wx.setNavigationBarTitle({ title: messages.edit.titleEdit })
      this.setData({ taskId: query.id, loading: true })
      return api
        .getTask(query.id)
        .then(task => {
          const form = formOf(task)
          this.setData({ form, loading: false })
          this.refreshDerived(form)
        })
        .catch(err => this.setData({ loading: false, formError: err.message }))
    },

    refreshDerived(form) {
      const weekdays = messages.edit.weekdays.map((label, i) => ({
        value: i + 1,
        label,
        checked: form.weekdays.indexOf(i + 1) >= 0,
      }))
      this.setData({
        weekdays,
        textCount: countChars(form.text),
        imageUrl: this.localImage || api.mediaUrl(form.image),
        chosenGroupsText: messages.edit.groupsChosen(form.groups.length),
        chosenRecipientsText: messages.edit.recipientsChosen(form.previewRecipients.length),
        groupOptions: this.data.groupOptions.map(g => ({ ...g, checked: form.groups.indexOf(g.groupId) >= 0 })),
        recipientOptions: this.data.recipientOptions.map(r => ({
          ...r,
          checked: form.previewRecipients.indexOf(r.recipientId) >= 0,
        })),
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

    onInput(e) {
      this.update({ [e.currentTarget.dataset.field]: e.detail.value })
    },
    chooseType(e) {
      const type = e.currentTarget.dataset.value
      this.update({ type, recurringInterval: type === 'recurring' ? this.data.form.recurringInterval || 'weekly' : '' })
    },
    chooseFrequency(e) {
      this.update({ recurringInterval: e.currentTarget.dataset.value })
    },
    toggleWeekday(e) {
      const day = Number(e.currentTarget.dataset.value)
      const days = this.data.form.weekdays
      this.update({ weekdays: days.indexOf(day) >= 0 ? days.filter(d => d !== day) : days.concat([day]) })
    },

    chooseImage() {
      return new Promise(resolve => {
        wx.chooseMedia({
          count: 1,
          mediaType: ['image'],
          sizeType: ['compressed'],
          success: res => {
            const path = res.tempFiles[0].tempFilePath
            this.setData({ busy: true })
            resolve(
              api
                .uploadImage(path)
                .then(media => {
                  this.localImage = path
                  this.setData({ busy: false })
                  this.update({ image: media.mediaId })
                })
                .catch(err => this.setData({ busy: false, 'errors.image': err.message }))
            )
          },
          fail: () => resolve(),
        })
      })
    },
    removeImage() {
      this.localImage = ''
      this.update({ image: '' })
    },

    onSearchInput(e) {
      this.setData({ [e.currentTarget.dataset.kind === 'group' ? 'groupQuery' : 'recipientQuery']: e.detail.value })
    },
    searchGroups() {
      return api
        .listGroups(this.data.groupQuery.trim())
        .then(body => {
          this.setData({ groupOptions: body.groups })
          this.refreshDerived(this.data.form)
        })
        .catch(err => this.setData({ formError: err.message }))
    },
    searchRecipients() {
      return api
        .listRecipients(this.data.recipientQuery.trim())
        .then(body => {
          this.setData({ recipientOptions: body.recipients })
          this.refreshDerived(this.data.form)
        })
        .catch(err => this.setData({ formError: err.message }))
    },
    toggleGroup(e) {
      const id = e.currentTarget.dataset.id
      const groups = this.data.form.groups
      this.update({ groups: groups.indexOf(id) >= 0 ? groups.filter(g => g !== id) : groups.concat([id]) })
    },
    toggleRecipient(e) {
      const id = e.currentTarget.dataset.id
      const chosen = this.data.form.previewRecipients
      this.update({
        previewRecipients: chosen.indexOf(id) >= 0 ? chosen.filter(r => r !== id) : chosen.concat([id]),
      })
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

    /** Check the current step; on success save the draft and move on. */
    next() {
      const errors = rules.checkStep(this.data.step, this.data.form)
      if (Object.keys(errors).length) {
        this.setData({ errors })
        return Promise.resolve(false)
      }
      return this.save().then(ok => (ok ? this.goTo(this.data.step + 1).then(() => true) : false))
    },

    saveDraft() {
      // A draft needs a name and a time (the server's minimum); the other steps may be unfinished.
      const errors = rules.checkStep(0, this.data.form)
      if (Object.keys(errors).length) {
        this.setData({ errors })
        return this.goTo(0).then(() => false)
      }
      return this.save().then(ok => {
        if (ok) wx.showToast({ title: messages.common.saved, icon: 'success' })
        return ok
      })
    },

    /** Create the draft on first save, update it afterwards; extra fields (e.g. status) go to the server too. */
    save(extra) {
      const body = { ...bodyOf(this.data.form), ...(extra || {}) }
      this.setData({ busy: true, formError: '' })
      const saving = this.data.taskId
        ? api.updateTask(this.data.taskId, body)
        : api.createTask({ status: 'draft', ...body })
      return saving
        .then(result => {
          this.setData({ busy: false, taskId: result.taskId })
          return true
        })
        .catch(err => {
          this.showError(err)
          return false
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
      const errors = { ...rules.checkStep(1, this.data.form), ...rules.checkStep(3, this.data.form) }
      if (Object.keys(errors).length) {
        this.setData({ previewProblems: Object.keys(errors).map(k => errors[k]), previewNotice: '' })
        return Promise.resolve(false)
      }
      return this.save().then(ok => {
        if (!ok) return false
        this.setData({ busy: true, previewNotice: '', previewProblems: [] })
        return api
          .sendPreview(this.data.taskId)
          .then(result => {
            const validation = result.validation || { isValid: true, errors: [] }
            const problems = (validation.errors || []).map(e => (typeof e === 'string' ? e : e.message))
            this.setData({
              busy: false,
              previewNotice: validation.isValid === false ? '' : messages.edit.previewSent,
              previewProblems: problems,
            })
            return validation.isValid !== false
          })
          .catch(err => {
            const validation = err.body && err.body.validation
            const problems = validation
              ? (validation.errors || []).map(e => (typeof e === 'string' ? e : e.message))
              : [err.message]
            this.setData({ busy: false, previewProblems: problems.length ? problems : [messages.edit.previewInvalid] })
            return false
          })
      })
    },

    /** Check every step, then ask the server to schedule the task (it enforces the approval gate). */
    submit() {
      for (let step = 0; step < 3; step += 1) {
        const errors = rules.checkStep(step, this.data.form)
        if (Object.keys(errors).length) {
          this.setData({ errors })
          return this.goTo(step).then(() => false)
        }
      }
      return this.save({ status: 'scheduled' }).then(ok => {
        if (!ok) return false
        wx.showToast({ title: messages.edit.submitted, icon: 'success' })
        wx.navigateBack()
        return true
      })
    },
  },
})
