/**
 * BoundaryWidget grid → plotly contour traces and layout (pure data, no plotly import, unit-tested
 * in node). The kernel sends `f` then `g` (float32, row-major, `ny * nx` each); this file only
 * splits the buffer into rows and says which contours to draw: level sets of `g` (thin), the
 * network's decision boundary `f = 0` (thick) and, on top, the level of `g` on it (dashed accent).
 */
import type { BoundaryState } from '../protocol';
import { layoutFor, type ITheme } from './theme';

/** The two grids as rows (`grid[i][j]` is the value at `y[i]`, `x[j]`). */
export function gridRows(state: BoundaryState, buffer: DataView): { f: number[][]; g: number[][] } {
  const n = state.nx * state.ny;
  if (buffer.byteLength !== 8 * n) {
    throw new Error(`boundary grid has ${buffer.byteLength} bytes, expected ${8 * n}`);
  }
  const values = new Float32Array(buffer.buffer, buffer.byteOffset, 2 * n);
  const rows = (offset: number): number[][] =>
    Array.from({ length: state.ny }, (_, i) =>
      Array.from(values.subarray(offset + i * state.nx, offset + (i + 1) * state.nx))
    );
  return { f: rows(0), g: rows(n) };
}

/** Evenly spaced coordinates from `range[0]` to `range[1]`. */
export function axis(range: number[], count: number): number[] {
  const [lo, hi] = range;
  const step = count > 1 ? (hi - lo) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => lo + i * step);
}

function lines(x: number[], y: number[], z: number[][], level: number, line: object): object {
  return {
    type: 'contour',
    x,
    y,
    z,
    showscale: false,
    hoverinfo: 'skip',
    contours: { coloring: 'none', start: level, end: level, size: 1 },
    line
  };
}

export function boundaryTraces(state: BoundaryState, buffer: DataView, theme: ITheme): object[] {
  const { f, g } = gridRows(state, buffer);
  const x = axis(state.x_range, state.nx);
  const y = axis(state.y_range, state.ny);
  const levels = state.g_levels.map(level =>
    lines(x, y, g, level, { width: 1, color: theme.grid })
  );
  const accent = { width: 2, dash: 'dash', color: theme.accent };
  return [
    ...levels,
    lines(x, y, f, 0, { width: 4, color: theme.font }),
    lines(x, y, g, state.g_boundary, accent)
  ];
}

export function boundaryLayout(state: BoundaryState, theme: ITheme): object {
  const base = layoutFor(theme);
  const note = state.fixed ? ` (slice at ${state.fixed})` : '';
  return {
    ...base,
    title: { text: `${state.title}${note}`, font: { size: 14 } },
    height: 360,
    showlegend: false,
    xaxis: { ...(base.xaxis as object), title: { text: state.x_label } },
    yaxis: { ...(base.yaxis as object), title: { text: state.y_label } }
  };
}
