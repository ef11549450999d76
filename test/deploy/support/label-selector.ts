// Kubernetes label selectors (matchLabels and matchExpressions with In, NotIn, Exists, DoesNotExist),
// evaluated as the API server evaluates a webhook's namespaceSelector and objectSelector: every
// requirement must hold, and an empty or absent selector matches everything.
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const holds = e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]!)
      // NotIn matches a missing label too (k8s.io/apimachinery labels.Requirement).
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]!)
      : e.operator === 'Exists' ? has
      : e.operator === 'DoesNotExist' ? !has
      : false;
    if (!holds) return false;
  }
  return true;
}
