// 简体中文：A/B 版本（issue 19，与 en-ab.js 同步）。
export default {
  ab: {
    badge: 'A/B', badgeTitle: '{n} 个版本（A/B 测试）', variant: '版本 {key}', add: '添加版本 {key}', start: 'A/B 测试：添加版本 B',
    removeConfirm: '删除版本 {key} 及其内容？', remove: '删除版本', hint: '每次推送把目标群分给各版本（按成员数平衡，同样的群每次分法相同）；每个版本都要预览并确认。',
    needGroups: 'A/B 测试至少需要 {n} 个群（每个版本至少 1 个群）',
    title: 'A/B 版本', groups: '下次推送的群（{n} 个）', adopt: '采用胜出版本',
    adoptConfirm: '采用版本 {key}？之后的推送都只发送版本 {key} 的内容，其他版本将被移除（记录在变更日志中）。',
    adopted: '已采用版本 {key}', noGroups: '暂无群',
    field: { variants: 'A/B 版本', variantGroups: '版本分群', adoptedVariant: '采用的版本' },
  },
}
