/** The small part of plotly.js the widgets use (plotly.js-dist-min ships no types). */
declare module 'plotly.js-dist-min' {
  export interface IPlotlyPoint {
    customdata?: unknown;
    curveNumber: number;
    pointIndex: number;
    data?: { meta?: unknown };
  }
  export interface IPlotlyElement extends HTMLElement {
    on(event: 'plotly_click', handler: (event: { points: IPlotlyPoint[] }) => void): void;
    removeAllListeners?(event: string): void;
  }
  const Plotly: {
    react(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
