/**
 * SlimeLab surface data → plotly traces (pure, no plotly import, unit-tested in node): the black
 * box's decision surface as a heatmap, the data, the explained point with its neighbours and
 * synthetic samples, and the SLIME and LIME level sets as single contour lines. Every number
 * drawn was computed by the kernel (grids included); this only arranges it for plotly.
 */
import type { SlimeGrid, SlimeSummary } from '../protocol';

/** float32 values of a Bytes trait (empty when missing or too short for `n`). */
export function floats(view: DataView | null | undefined, n?: number): Float32Array {
  if (!view || view.byteLength < 4) return new Float32Array();
  const count = Math.floor(view.byteLength / 4);
  const want = n === undefined ? count : Math.min(n, count);
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + 4 * want);
  return new Float32Array(bytes);
}

/** Evenly spaced axis values from lo to hi (n of them). */
export function axisValues(lo: number, hi: number, n: number): number[] {
  if (n <= 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** Row-major `ny * nx` values as plotly's z (one array per row); null when the size is off. */
export function gridRows(values: Float32Array, grid: SlimeGrid): number[][] | null {
  if (values.length !== grid.nx * grid.ny) return null;
  return Array.from({ length: grid.ny }, (_, r) =>
    Array.from(values.subarray(r * grid.nx, (r + 1) * grid.nx))
  );
}

/** Interleaved (x, y) pairs → separate coordinate arrays. */
export function pairs(values: Float32Array): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) {
    x.push(values[i]);
    y.push(values[i + 1]);
  }
  return { x, y };
}

export interface ISurfaceBuffers {
  surface: Float32Array;
  data: Float32Array;
  neighbours: Float32Array;
  synthetic: Float32Array;
  slime: Float32Array;
  lime: Float32Array;
}

function levelLine(z: number[][] | null, grid: SlimeGrid, level: number, style: object) {
  if (!z) return [];
  const x = axisValues(grid.x_min, grid.x_max, grid.nx);
  const y = axisValues(grid.y_min, grid.y_max, grid.ny);
  const contours = { start: level, end: level, size: 1, coloring: 'none', showlabels: false };
  return [{ type: 'contour', x, y, z, contours, showscale: false, hoverinfo: 'skip', ...style }];
}

function markers(values: Float32Array, style: object) {
  const { x, y } = pairs(values);
  return x.length
    ? [{ type: 'scattergl', mode: 'markers', x, y, hoverinfo: 'skip', ...style }]
    : [];
}

/** SLIME's level set and x0: magenta (the theme's accent red vanished on the surface's red). */
export const SLIME_LINE = '#ff00ff';

/** All traces of the surface plot; the heatmap is first (clicks on it give grid cells). */
export function surfaceTraces(
  grid: SlimeGrid,
  b: ISurfaceBuffers,
  summary: SlimeSummary | null,
  colors: { font: string; accent: string }
): object[] {
  const z = gridRows(b.surface, grid);
  const heat = {
    type: 'heatmap',
    name: 'f',
    x: axisValues(grid.x_min, grid.x_max, grid.nx),
    y: axisValues(grid.y_min, grid.y_max, grid.ny),
    z: z ?? [],
    zmin: grid.z_min,
    zmax: grid.z_max,
    colorscale: 'RdBu',
    reversescale: true,
    opacity: 0.85,
    colorbar: { thickness: 12, len: 0.8, tickfont: { color: colors.font } },
    hovertemplate: `${grid.x_name}=%{x:.3g}, ${grid.y_name}=%{y:.3g}<br>f=%{z:.3g}<extra></extra>`
  };
  const traces: object[] = [heat];
  traces.push(
    ...markers(b.data, { name: 'data', marker: { size: 4, color: colors.font, opacity: 0.4 } })
  );
  if (!summary) return traces;
  const level = summary.level;
  traces.push(
    ...markers(b.synthetic, {
      name: 'synthetic',
      marker: { size: 3, color: '#f5a623', opacity: 0.5 }
    }),
    ...markers(b.neighbours, {
      name: 'neighbours',
      marker: { size: 6, color: '#2ca02c', line: { width: 1, color: '#fff' } }
    }),
    ...levelLine(gridRows(b.lime, grid), grid, level, {
      name: 'LIME',
      line: { color: colors.font, width: 2, dash: 'dash' } // the theme's text colour: seen in both
    }),
    ...levelLine(gridRows(b.slime, grid), grid, level, {
      name: 'SLIME',
      line: { color: SLIME_LINE, width: 3 } // not a colour of the RdBu surface, in any theme
    }),
    {
      type: 'scatter',
      mode: 'markers',
      name: 'x0',
      x: [summary.x0[0]],
      y: [summary.x0[1]],
      marker: { size: 14, symbol: 'x', color: SLIME_LINE, line: { width: 2, color: '#fff' } },
      hovertemplate: 'x0 = (%{x:.3g}, %{y:.3g})<extra></extra>'
    }
  );
  return traces;
}
