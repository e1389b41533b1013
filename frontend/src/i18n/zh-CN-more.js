// 简体中文：预览、推送、模板、通知、反馈报表（与 en-more.js 同步）。
export default {
  nav2: { templates: '内容模板', feedback: '反馈报表', notifySettings: '通知设置' },
  media: {
    upload: '上传图片', replace: '更换图片', remove: '移除图片', uploading: '上传中 {p}%',
    uploaded: '已上传：{name}，压缩后 {size}（{w}×{h}）', failed: '图片上传失败：{msg}', hint: 'JPG / PNG，上传后自动压缩到 2 MB 以内。',
  },
  pv: {
    send: '发送预览', sending: '正在发送预览…', sent: '预览已发送给 {n} 位接收人，请在微信中确认。',
    invalid: '内容校验未通过，未发送预览：', warnings: '注意', checking: '校验中…', ok: '内容可以发送到所选的群',
    channelProblems: '以下群的渠道无法承载当前内容：', contentProblems: '内容问题：', needReviewers: '请先选择预览接收人',
    needContent: '请先填写推送内容', savedDraft: '已先保存为草稿',
    history: '预览记录', none: '还没有发送过预览', version: '内容版本 {v}', stale: '内容已修改', decisions: '确认记录',
    reviewer: '接收人', decision: '决定', comment: '意见', via: '方式', at: '时间',
    confirm: '确认通过', modify: '要求修改', modifyTitle: '要求修改', commentPlaceholder: '说明需要修改的地方（可选）',
    confirmed: '已确认预览', modifyRequested: '已要求修改',
    state: { pending: '待确认', confirmed: '已确认', modify_requested: '要求修改' },
    dec: { confirm: '确认', modify: '修改', waiting: '等待中' },
    rstatus: { sending: '发送中', sent: '已发送', failed: '发送失败', no_quota: '无订阅额度', no_channel: '无可用渠道' },
    viaName: { api: '后台', card: '卡片', text: '文字回复' },
  },
  push: {
    now: '立即推送', confirmNow: '立即向「{name}」的 {n} 个群推送一次当前内容？（不影响原定计划）', started: '推送已开始',
    history: '推送记录', none: '还没有推送记录', fireAt: '触发时间', trigger: '触发', status: '状态', result: '结果',
    summary: '成功 {sent} / {total}，失败 {failed}，未确认 {uncertain}', groups: '各群结果', group: '群', attempts: '尝试次数',
    error: '原因', sentAt: '送达时间', resend: '重发', resendConfirm: '重发失败和未确认的 {n} 个群？', resent: '已排队重发 {n} 个群',
    st: { running: '进行中', completed: '已完成', failed: '失败', missed: '已错过' },
    ds: { pending: '等待', sending: '发送中', sent: '已发送', failed: '失败', uncertain: '未确认' },
    trig: { schedule: '定时', manual: '手动', resend: '重发' },
  },
  tpl: {
    title: '内容模板', new: '新建模板', name: '模板名称', content: '内容', builtin: '内置', custom: '自定义', readOnly: '内置模板只读',
    empty: '还没有模板', apply: '套用模板', applyConfirm: '用模板「{name}」替换当前内容？', applied: '已套用模板', saveAs: '存为模板',
    saveAsPrompt: '模板名称', saved: '模板已保存', deleteConfirm: '删除模板「{name}」？', variablesHint: '可使用变量：群名、日期（用双花括号括起来，发送时按群填写）',
    nameRequired: '请输入模板名称', text: '文字', image: '图片', link: '链接', use: '用它新建任务',
  },
  notif: {
    bell: '通知', empty: '没有通知', markAll: '全部已读', unread: '{n} 条未读', settings: '通知设置', viewTask: '查看任务',
    settingsTitle: '通知设置', recipient: '我的微信身份', recipientHint: '选择代表你的预览接收人，通知会发到这个微信号。',
    channels: '通知渠道（按顺序尝试）', inbox: '后台收件箱', mute: '静默提醒', muteHint: '不接收预览待确认等提醒类通知',
    saved: '通知设置已保存',
  },
  fb: {
    title: '反馈报表', range: '时间范围', pushes: '推送次数', deliveries: '送达群次', reached: '触达成员', responses: '反馈数',
    rate: '互动率', perPush: '每次推送反馈', avgRating: '平均评分', byGroup: '各群互动率', overTime: '每日趋势', ratings: '评分分布',
    opinions: '常见意见', words: '高频词', phrases: '常见说法', list: '反馈明细', exportCsv: '导出 CSV', empty: '这段时间还没有反馈',
    group: '群', task: '任务', user: '成员', rating: '评分', content: '内容', time: '时间', star: '{n} 星', exported: '已导出 {file}',
  },
}
