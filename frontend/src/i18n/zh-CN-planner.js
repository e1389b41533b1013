// 中文：日历（issue 18）。与 en-planner.js 保持一致。
export default {
  nav3: { calendar: '日历' },
  cal: {
    title: '推送日历', month: '月', week: '周', day: '日', today: '今天', prev: '上一段', next: '下一段',
    zoneNote: '时间按各任务自己的时区显示。拖动一次推送可改到其他日期或时间。',
    legend: { planned: '计划', draft: '草稿（提交后才推送）', completed: '已完成', partial: '部分成功', failed: '失败', missed: '错过', running: '推送中', skipped: '不推送（跳过/节假日/已改期）' },
    outcome: {
      planned: '计划推送', skipped: '不推送', moved: '已改期', running: '推送中', completed: '已完成', partial: '部分成功',
      failed: '失败', missed: '错过', cancelled: '已取消',
    },
    truncated: '这段时间的推送超过 5000 次，只显示前 5000 次；请用筛选缩小范围。',
    loadFailed: '日历加载失败：{msg}',
    moveTitle: '改推送时间',
    moveOnce: '这是单次任务：将把任务的推送时间改为新时间。',
    moveRecurring: '这是周期任务：只改这一次推送，其余推送和周期规则不变。',
    moveFrom: '原时间', moveTo: '新时间', zone: '时区',
    moveDraft: '此任务是草稿：改时间后仍需提交才会推送。',
    approvalNone: '只改时间、不改内容：已确认的预览仍然有效。若服务器要求重新确认，会在这里说明原因，任务时间不会改动。',
    moveConfirm: '确认改期', moved: '已改到 {time}', moveFailed: '未能改期',
    clash: '冲突：该任务在这个时间已有推送。请拖到其他时间。',
    occurrence: '这次推送', openTask: '打开任务', skip: '跳过这次', restore: '恢复这次推送',
    skipped: '已跳过这次推送', restored: '已恢复这次推送', reason: '原因', movedFrom: '原定于', movedTo: '改到',
    push: '推送记录', unverified: '该年份的节假日安排尚未公布，按周期规则推送',
    skipHint: '只影响这一次；周期规则和其他推送不变。', restoreHint: '恢复后它在原定时间推送。',
  },
}
