// 简体中文：手机与平板布局、任务详情的预览与提交、预览状态的实时跟进（与 en-layout.js 同步）。
export default {
  ui2: {
    menu: '菜单', system: '系统', filters: '筛选', whyFailed: '查看失败原因', selectTask: '选择任务 {name}', more: '更多',
    nextDraft: '草稿不会推送；提交后按下方时间推送', nextPaused: '已暂停，暂停期间不推送',
    nextPausedUntil: '已暂停，{at} 自动恢复', nextNone: '没有下一次推送',
    upcomingDraft: '提交后的推送时间', upcomingPaused: '恢复后的推送时间', upcomingPausedUntil: '{at} 自动恢复后的推送时间',
    pushAgain: '再次推送', submit: '提交', submitted: '已提交，任务已排期',
    previewWaiting: '预览已发送给 {n} 位接收人，等待在微信中确认…',
    previewConfirmedBy: '{name} 已确认预览，可以提交了', previewModifyBy: '{name} 要求修改', previewDecided: '预览已有结论',
    field: { previewComment: '修改意见', previewState: '预览状态', deletedAt: '删除时间', feedbackEnabled: '收集反馈', nextFireAt: '下次推送', schedule_calendar: '工作日历' },
    reviewer: '预览接收人', someone: '有人',
  },
}
