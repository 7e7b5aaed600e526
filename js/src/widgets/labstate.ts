/**
 * What the Lab widget's progress line says and which of its buttons are off, from the synced
 * LabState (pure, unit-tested in node): a module another Lab/Session replaced is not this Lab's
 * to distil, replace or restore, and the line says where to restore it.
 */
import type { CandidateDetail, LabState } from '../protocol';

export type ShownState = Pick<LabState, 'module' | 'module_status' | 'status'>;

/** The message for a module whose surrogate another Lab/Session installed. */
export function elsewhereText(module: string | null): string {
  return `module '${module ?? ''}' is replaced by another Lab/Session: restore it there first`;
}

export function progressText(s: ShownState): string {
  if (s.module_status === 'replaced_elsewhere') return elsewhereText(s.module);
  const st = s.status;
  if (!st) return s.module !== null ? 'not distilled yet' : 'select a module in the panel';
  const time = `${st.elapsed.toFixed(1)} s`;
  return `${st.state}: generation ${st.generation}, ${time}, ${st.n_candidates} candidates · ${st.message}`;
}

/** The progress line of a view with no running Lab behind it: what it last showed, as stale. */
export function staleText(s: ShownState): string {
  return `stale (kernel restarted or not connected) · last seen: ${progressText(s)}`;
}

export interface IDisabled {
  distill: boolean;
  stop: boolean;
  replace: boolean;
  restore: boolean;
  compare: boolean;
}

/** Which buttons are off; `busy`: a request is in flight, `lost`: no Lab behind the view. */
export function disabledButtons(s: ShownState, busy: boolean, lost: boolean): IDisabled {
  const status = s.module_status;
  const state = s.status?.state ?? 'idle';
  const searching = state === 'running' || state === 'stopping';
  const replaced = status === 'replaced' || status === 'replaced_elsewhere'; // restore first
  const out = {
    distill: busy || s.module === null || searching || replaced,
    stop: state !== 'running',
    replace: busy || !(status === 'distilled' || status === 'replaced'),
    restore: busy || status !== 'replaced',
    compare: busy || searching
  };
  if (lost) Object.keys(out).forEach(k => (out[k as keyof IDisabled] = true));
  return out;
}

function fmt(x: number | null): string {
  return x === null ? '–' : x.toPrecision(4);
}

/** The detail's scores; a candidate not picked is "not stored yet" only while its search runs. */
export function scoreText(d: CandidateDetail, searching: boolean): string {
  const where = d.picked
    ? 'picked'
    : searching
      ? 'not stored yet: this dim is still searching'
      : 'not picked';
  return (
    `dim ${d.dim}, complexity ${d.complexity} (${where}) · training loss ${fmt(d.loss)} · ` +
    `${d.heldout_label}: ${fmt(d.heldout)}`
  );
}
