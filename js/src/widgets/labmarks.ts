/**
 * The Lab's physics marks: a text box for the known law (sent to the kernel, which parses and
 * checks it; a bad law comes back in `error`) and the detail pane's line saying whether the
 * clicked candidate recovers the known law and is dimensionally consistent. The marks
 * themselves are the engine's (FrontPoint.recovers_law, FrontPoint.units_ok).
 */
import type { CandidateDetail, FrontPoint } from '../protocol';

export interface ILawDom {
  form: HTMLFormElement;
  input: HTMLInputElement;
  apply: HTMLButtonElement;
  mark: HTMLElement;
}

export function buildLawDom(): ILawDom {
  const form = document.createElement('form');
  form.className = 'stl-lab-law';
  form.dataset.lmSuppressShortcuts = 'true'; // Enter submits here, not a notebook shortcut
  const input = document.createElement('input');
  input.className = 'stl-lab-law-input';
  input.type = 'text';
  input.placeholder = 'known law, e.g. q1*q2/r^2 (constant factors are found)';
  input.setAttribute('aria-label', 'known law');
  input.title = 'Mark the front members that recover this law (empty: no marks)';
  const apply = document.createElement('button');
  apply.className = 'jp-Button stl-lab-button stl-lab-law-apply';
  apply.type = 'submit';
  apply.textContent = 'Mark law';
  form.append(input, apply);
  const mark = document.createElement('div');
  mark.className = 'stl-lab-law-mark';
  return { form, input, apply, mark };
}

/** What the detail pane says about the clicked candidate's marks ('' when unmarked). */
export function markText(
  detail: CandidateDetail | null,
  points: FrontPoint[],
  law: string
): string {
  if (!detail) return '';
  const p = points.find(q => q.id === detail.id && q.dim === detail.dim);
  const parts: string[] = [];
  if (p?.recovers_law !== undefined && law) {
    parts.push(p.recovers_law ? `recovers the known law ${law}` : `does not recover ${law}`);
  }
  if (p?.units_ok !== undefined) {
    parts.push(p.units_ok ? 'dimensionally consistent' : 'dimensionally inconsistent');
  }
  return parts.join(' · ');
}

/** Send the typed law on submit (Enter or the button); keep the box true to the kernel's law. */
export function wireLaw(dom: ILawDom, send: (law: string) => void): void {
  dom.form.addEventListener('submit', event => {
    event.preventDefault();
    send(dom.input.value.trim());
  });
  // JupyterLab's notebook keeps Enter from submitting a form in an output: send it here
  dom.input.addEventListener('keydown', event => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    event.stopPropagation();
    send(dom.input.value.trim());
  });
}

export function drawLaw(
  dom: ILawDom,
  law: string,
  detail: CandidateDetail | null,
  points: FrontPoint[]
): void {
  if (document.activeElement !== dom.input) dom.input.value = law;
  const text = markText(detail, points, law);
  dom.mark.textContent = text;
  dom.mark.hidden = !text;
  dom.mark.dataset.recovers = String(text.startsWith('recovers'));
}
