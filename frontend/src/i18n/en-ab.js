// English: A/B variants (issue 19, kept in step with zh-CN-ab.js).
export default {
  ab: {
    badge: 'A/B', badgeTitle: '{n} variants (A/B test)', variant: 'Variant {key}', add: 'Add variant {key}', start: 'A/B test: add variant B',
    removeConfirm: 'Remove variant {key} and its content?', remove: 'Remove variant', hint: 'Each push splits the groups between the variants (balanced by members, the same split for the same groups); every variant is previewed and confirmed.',
    needGroups: 'An A/B test needs at least {n} groups (one per variant)',
    title: 'A/B variants', groups: 'Groups at the next push ({n})', adopt: 'Adopt the winner',
    adoptConfirm: 'Adopt variant {key}? Later pushes send only variant {key}; the other variants are removed (recorded in the change log).',
    adopted: 'Variant {key} adopted', noGroups: 'No groups',
    field: { variants: 'A/B variants', variantGroups: 'Variant groups', adoptedVariant: 'Adopted variant' },
  },
}
