import { type RuntimeProfile, runtimeProfiles } from './profiles.ts';
import type { Feature, VerifyReport } from './report.ts';
import type { Engine, Validity } from './validate.ts';

export const RUNTIMES = ['wasmedge', 'crun-wasmedge', 'wasmtime', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * Whether a runtime can run the module: as it is (`runs`), with flags (`needs-flag`), not at all (`cannot`), not as
 * WebAssembly at all (`invalid`), or not known from our facts (`unknown`).
 */
export interface RuntimeFit {
  runtime: Runtime;
  status: 'runs' | 'needs-flag' | 'cannot' | 'invalid' | 'unknown';
  /** Flags to pass, e.g. ["--enable-threads"]. */
  flags: string[];
  /** What decides it: the import, feature or missing export, with the runtime's own error text where measured. */
  reason: string;
  /** Where the deciding facts come from (RUNTIME-OUTCOMES.tsv rows, upstream files). */
  source: string;
  /** The profile held against, e.g. "WasmEdge CLI >=0.16 (measured: 0.17.1)". */
  profile: string;
}

interface Blocker {
  reason: string;
  evidence: string;
}

const fill = (template: string, v: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => (k in v ? String(v[k]) : m));

/** The features a report says are used, `threads` aside (it is shared-memory plus atomics). */
function usedFeatures(report: VerifyReport): Feature[] {
  return (Object.keys(report.features) as Feature[]).filter((f) => f !== 'threads' && report.features[f].used === true);
}

/**
 * Holds a report against one runtime profile. In the order the runtime itself fails (load, then link, then
 * start): validity, proposals, imports, entry point. Every reason quotes the runtime's measured error text.
 */
export function fitProfile(report: VerifyReport, validity: Validity, p: RuntimeProfile): RuntimeFit {
  const profile = `${p.label} ${p.versions}`;
  const out = (status: RuntimeFit['status'], reason: string, source: string, flags: string[] = []): RuntimeFit => ({
    runtime: p.runtime,
    status,
    flags,
    reason,
    source,
    profile,
  });
  if (report.kind === 'component') {
    // A component's core modules are neither decoded nor validated here, so even a runtime that runs components
    // may not run this one.
    return p.components.value
      ? out(
          'unknown',
          `a component: ${p.label} runs components, but this one's contents are not decoded or validated here`,
          p.components.evidence,
        )
      : out(
          'cannot',
          `a WebAssembly component (component model), not a core module: "${p.errors.component}"`,
          p.components.evidence,
        );
  }
  if (validity.status === 'invalid') {
    const at = validity.offset !== undefined ? ` at byte offset ${validity.offset}` : '';
    return out(
      'invalid',
      `not valid WebAssembly${at}: ${validity.message} (${validity.validator})`,
      'WebAssembly Core Specification §3 (validation), checked by the engine named',
    );
  }

  const blockers: Blocker[] = [];
  const unknowns: Blocker[] = [];
  const flags: string[] = [];
  const flagEvidence: string[] = [];
  const gated: string[] = [];
  const addFlags = (f: string[], evidence: string) => {
    if (!flags.join(' ').includes(f.join(' '))) flags.push(...f);
    if (!flagEvidence.includes(evidence)) flagEvidence.push(evidence);
  };

  // Load: the engine here is the runtime (Node); otherwise proposals against the profile.
  if (p.validatesHere && validity.status !== 'valid') {
    blockers.push({ reason: `${p.label} cannot compile it: ${validity.message}`, evidence: validity.validator });
  }
  for (const f of usedFeatures(report)) {
    if (p.defaults.value.includes(f)) continue;
    const evidence = report.features[f].evidence;
    const flag = p.flagged.value[f];
    if (flag) {
      addFlags(flag, p.flagged.evidence);
      const said = f === 'shared-memory' ? p.errors.sharedMemory : f === 'atomics' ? p.errors.atomics : undefined;
      gated.push(`${f} loads only with ${flag.join(' ')}${said ? ` (without it: "${said}")` : ''}`);
    } else if (p.unsupported.value.includes(f)) {
      if (p.validatesHere && validity.status !== 'valid') continue; // already said, in V8's words
      const said = f === 'shared-memory' ? p.errors.sharedMemory : f === 'atomics' ? p.errors.atomics : undefined;
      blockers.push({
        reason: `uses ${f} (${evidence}), which ${p.label} does not enable${said ? `: "${said}"` : ''}`,
        evidence: p.unsupported.evidence,
      });
    } else {
      unknowns.push({
        reason: `uses ${f} (${evidence}), not in our facts for ${p.label}`,
        evidence: p.defaults.evidence,
      });
    }
  }

  // Link: every import must be provided.
  for (const [index, imp] of report.imports.entries()) {
    if (imp.kind === 'memory') {
      if (p.providesMemories.value === true) continue;
      const flagged = p.flaggedImports?.value[`${imp.module}.${imp.name}`];
      const shared = report.memories.find((m) => m.import?.module === imp.module && m.import.name === imp.name);
      if (flagged && shared?.limits.shared) {
        addFlags(flagged, p.flaggedImports!.evidence);
        continue;
      }
      if (p.providesMemories.value === 'unknown') {
        unknowns.push({
          reason: `imports memory ${imp.module}.${imp.name}: not known whether ${p.label} provides it`,
          evidence: p.providesMemories.evidence,
        });
        continue;
      }
    } else {
      if (p.importModules.value.includes(imp.module)) continue;
      const flagged = p.flaggedImports?.value[imp.module];
      if (flagged) {
        addFlags(flagged, p.flaggedImports!.evidence);
        continue;
      }
    }
    const said = fill(p.errors.unknownImport, { module: imp.module, name: imp.name, kind: imp.kind, index });
    blockers.push({
      reason: `imports ${imp.module}.${imp.name} (${imp.kind}), which ${p.label} does not provide (it provides ${p.importModules.value.join(', ')}${p.providesMemories.value === true ? ' and imported memories' : ''}): "${said}"`,
      evidence: imp.kind === 'memory' ? p.providesMemories.evidence : p.importModules.evidence,
    });
  }

  // Start: the entry point the runtime calls.
  const entry = p.entry.value.find((name) => report.exports.some((e) => e.name === name && e.kind === 'func'));
  if (!entry) {
    blockers.push({
      reason: `exports no ${p.entry.value.join(' or ')} function, so ${p.label} has nothing to run: "${p.errors.noEntry}"`,
      evidence: p.entry.evidence,
    });
  }

  const sources = (bs: Blocker[]) => [...new Set(bs.map((b) => b.evidence))].join('; ');
  if (blockers.length) {
    const withFlags = flags.length ? `${gated.join('; ')}; even with ${flags.join(' ')}: ` : '';
    return out('cannot', `${withFlags}${blockers.map((b) => b.reason).join('; ')}`, sources(blockers));
  }
  if (validity.status === 'unknown') {
    unknowns.push({
      reason: `${validity.validator} could not validate it (it lacks ${validity.missing?.join(', ')}): ${validity.message}`,
      evidence: validity.validator,
    });
  }
  if (unknowns.length) return out('unknown', unknowns.map((b) => b.reason).join('; '), sources(unknowns));
  if (flags.length) {
    return out(
      'needs-flag',
      `runs with ${flags.join(' ')}: ${gated.join('; ') || 'its imports need it'}`,
      flagEvidence.join('; '),
      flags,
    );
  }
  return out(
    'runs',
    `valid (${validity.validator}); uses only what ${p.label} enables by default; imports only what it provides; exports ${entry}`,
    [p.defaults.evidence, p.entry.evidence].join('; '),
  );
}

/**
 * For WasmEdge (CLI), crun with its WasmEdge handler, wasmtime and Node: can the module run, with which flags, or
 * why not. Built only from the profiles' facts (packages/wasm/src/profiles.ts, each naming its evidence); what they
 * do not cover is `unknown` with the gap named. An `invalid` module is never `runs`.
 * @param validity from `validateModule` on the same bytes
 * @param engine from `detectEngine()`: the Node profile is this engine's
 */
export function runtimeFit(report: VerifyReport, validity: Validity, engine: Engine): RuntimeFit[] {
  return runtimeProfiles(engine).map((p) => fitProfile(report, validity, p));
}
