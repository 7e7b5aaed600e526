/**
 * The Lab's physics marks: a text box for the known law (sent to the kernel, which parses and
 * checks it; a bad law comes back in `error` and shows beside the box, which keeps the typed
 * text to correct) and the detail pane's line saying whether the
 * clicked candidate recovers the known law and is dimensionally consistent. The marks
 * themselves are the engine's (FrontPoint.recovers_law, FrontPoint.units_ok).
 */
import type { CandidateDetail, FrontPoint } from '../protocol';

export interface ILawDom {
  form: HTMLFormElement;
  input: HTMLInputElement;
  apply: HTMLButtonElement;
  mark: HTMLElement;
  /** The kernel's error about the law last sent (shown beside the box, not below the Lab). */
  error: HTMLElement;
  /** State: the kernel's law last put in the box, the error message of the last sent law. */
  drawn: string | null;
  failed: string;
}

export function buildLawDom(): ILawDom {
  const form = document.createElement('form');
  form.className = 'stl-lab-law';
  form.dataset.lmSuppressShortcuts = 'true'; // Enter submits here, not a notebook shortcut
  const input = document.createElement('input');
  input.className = 'stl-lab-law-input';
  input.type = 'text';
  input.placeholder = 'known law, e.g. q1*q2/r^2';
  input.setAttribute('aria-label', 'known law');
  input.title =
    'Mark the front members that recover this law; constant factors are found (empty: no marks)';
  const apply = document.createElement('button');
  apply.className = 'jp-Button stl-lab-button stl-lab-law-apply';
  apply.type = 'submit';
  apply.textContent = 'Mark law';
  const error = document.createElement('div');
  error.className = 'stl-lab-law-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  form.append(input, apply, error);
  const mark = document.createElement('div');
  mark.className = 'stl-lab-law-mark';
  return { form, input, apply, mark, error, drawn: null, failed: '' };
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

/** Send the typed law on submit (Enter or the button); `send` reports a failed request to
 * `failed` (its message is the kernel's `error`, drawn beside the box by `drawLaw`). */
export function wireLaw(
  dom: ILawDom,
  send: (law: string, failed: (error: Error) => void) => void,
  redraw: () => void
): void {
  const submit = () => {
    dom.failed = '';
    send(dom.input.value.trim(), error => {
      dom.failed = error.message;
      redraw();
    });
  };
  dom.form.addEventListener('submit', event => {
    event.preventDefault();
    submit();
  });
  // JupyterLab's notebook keeps Enter from submitting a form in an output: send it here
  dom.input.addEventListener('keydown', event => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    event.stopPropagation();
    submit();
  });
}

/** Whether the kernel's `error` is about the law last sent: then it belongs beside the box. */
export function isLawError(error: string, failed: string): boolean {
  return error !== '' && error === failed;
}

/** Draw the box, its error and the mark line; true when `error` is shown here (the law's). */
export function drawLaw(
  dom: ILawDom,
  law: string,
  detail: CandidateDetail | null,
  points: FrontPoint[],
  error = ''
): boolean {
  if (law !== dom.drawn) dom.input.value = law; // a failed law leaves the typed text to correct
  dom.drawn = law;
  const own = isLawError(error, dom.failed);
  dom.error.textContent = own ? error : '';
  dom.error.hidden = !own;
  dom.input.setAttribute('aria-invalid', String(own));
  const text = markText(detail, points, law);
  dom.mark.textContent = text;
  dom.mark.hidden = !text;
  dom.mark.dataset.recovers = String(text.startsWith('recovers'));
  return own;
}
