/**
 * Plotly layout pieces taken from JupyterLab's CSS variables, so charts follow light and dark
 * themes (falls back to neutral colours outside JupyterLab).
 */

export function cssVar(el: HTMLElement, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** Base layout: transparent background, theme font and grid colours. */
export function themedLayout(el: HTMLElement): Record<string, unknown> {
  const font = cssVar(el, '--jp-ui-font-color1', '#333');
  const grid = cssVar(el, '--jp-border-color2', '#ddd');
  const family = cssVar(el, '--jp-ui-font-family', 'sans-serif');
  const axis = { gridcolor: grid, zerolinecolor: grid, linecolor: grid, color: font };
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: font, family, size: 12 },
    margin: { l: 60, r: 16, t: 36, b: 44 },
    hovermode: 'closest',
    xaxis: { ...axis },
    yaxis: { ...axis }
  };
}

/** Marker colour for the selected point. */
export function accentColor(el: HTMLElement): string {
  return cssVar(el, '--jp-error-color1', '#d32f2f');
}
