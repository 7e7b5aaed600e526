/**
 * Plotly layout pieces taken from JupyterLab's CSS variables, so charts follow light and dark
 * themes (neutral fallbacks outside JupyterLab), and a hook that redraws them when the theme
 * changes (plotly bakes colours into its SVG, so CSS alone cannot restyle a drawn plot).
 */

export interface ITheme {
  font: string;
  grid: string;
  family: string;
  accent: string;
}

export const FALLBACK_THEME: ITheme = {
  font: '#333',
  grid: '#ddd',
  family: 'sans-serif',
  accent: '#d32f2f'
};

export function cssVar(el: HTMLElement, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** The current theme's colours as seen from `el`. */
export function readTheme(el: HTMLElement): ITheme {
  const f = FALLBACK_THEME;
  return {
    font: cssVar(el, '--jp-ui-font-color1', f.font),
    grid: cssVar(el, '--jp-border-color2', f.grid),
    family: cssVar(el, '--jp-ui-font-family', f.family),
    accent: cssVar(el, '--jp-error-color1', f.accent)
  };
}

/** Base layout: transparent background, theme font and grid colours. */
export function layoutFor(theme: ITheme): Record<string, unknown> {
  const { font, grid, family } = theme;
  const axis = { gridcolor: grid, zerolinecolor: grid, linecolor: grid, color: font };
  return {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: font, family, size: 12 },
    margin: { l: 60, r: 16, t: 36, b: 44 },
    hovermode: 'closest',
    xaxis: { ...axis, automargin: true },
    yaxis: { ...axis, automargin: true }
  };
}

/** Height of plotly's mode bar band at the top right of a figure (it shows on hover). */
export const MODEBAR_HEIGHT = 32;

/** A figure title set below the mode bar's band, and the top margin that leaves it room, so the
 * mode bar (shown on hover) never covers the title. */
export function titleBelowModebar(
  text: string,
  lines = 1,
  size = 13
): { title: object; marginTop: number } {
  const titleHeight = Math.ceil(lines * size * 1.4);
  return {
    title: {
      text,
      font: { size },
      yref: 'container',
      y: 1,
      yanchor: 'top',
      pad: { t: MODEBAR_HEIGHT }
    },
    marginTop: MODEBAR_HEIGHT + titleHeight + 12
  };
}

export function themedLayout(el: HTMLElement): Record<string, unknown> {
  return layoutFor(readTheme(el));
}

/** Marker colour for the selected point. */
export function accentColor(el: HTMLElement): string {
  return readTheme(el).accent;
}

/** Attributes JupyterLab's theme manager sets on <body> once a new theme's CSS is loaded. */
export const THEME_ATTRIBUTES = ['data-jp-theme-light', 'data-jp-theme-name'];

/** Call `redraw` after every theme change; returns the function that stops listening. */
export function onThemeChange(redraw: () => void): () => void {
  if (typeof MutationObserver === 'undefined' || !document.body) return () => undefined;
  const observer = new MutationObserver(() => requestAnimationFrame(redraw));
  observer.observe(document.body, { attributes: true, attributeFilter: THEME_ATTRIBUTES });
  return () => observer.disconnect();
}
