import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';

/**
 * Writes the Kubernetes form of the SLO rules: a prometheus-operator PrometheusRule whose groups
 * are those of the Prometheus rules file used by Docker Compose, so both run the same rules.
 * Run it after changing the rules: `npx tsx tools/src/deploy/prometheus-rule.ts`
 * (test/deploy/observability.test.ts fails while the two differ).
 */

/** The repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The source: Prometheus rule groups, mounted as is by Docker Compose. */
export const RULES_FILE = 'deploy/observability/prometheus/rules/slo.rules.yaml';
/** What this script writes, for the Kubernetes base. */
export const PROMETHEUS_RULE_FILE = 'deploy/k8s/base/monitoring/prometheusrule.yaml';

const HEADER = `# GENERATED from ${RULES_FILE} by tools/src/deploy/prometheus-rule.ts: do not edit.
# Change the rules there, then run \`npx tsx tools/src/deploy/prometheus-rule.ts\`.
# The label release: prometheus is what kube-prometheus-stack's Prometheus selects rules by.
`;

/** A Prometheus rules file: its groups are kept exactly as written. */
interface RulesFile {
  groups: unknown[];
}

/** The PrometheusRule resource for the rules file's text. */
export function prometheusRule(rulesText: string): object {
  const rules = parse(rulesText) as Partial<RulesFile> | null;
  if (!rules || !Array.isArray(rules.groups) || rules.groups.length === 0) throw new Error(`${RULES_FILE} has no rule groups`);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'emporium-slo',
      labels: { 'app.kubernetes.io/part-of': 'emporium', release: 'prometheus' },
    },
    spec: { groups: rules.groups },
  };
}

/** The text of the PrometheusRule file for the rules file's text. */
export function renderPrometheusRule(rulesText: string): string {
  return HEADER + stringify(prometheusRule(rulesText), { lineWidth: 0 });
}

/** Reads the rules from the repository and writes the PrometheusRule; returns the path written. */
export async function writePrometheusRule(root = ROOT): Promise<string> {
  const text = await readFile(join(root, RULES_FILE), 'utf8');
  const out = join(root, PROMETHEUS_RULE_FILE);
  await writeFile(out, renderPrometheusRule(text));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await writePrometheusRule();
  process.stderr.write(`Wrote ${out}\n`);
}
