/**
 * Command ids and DOM ids of the symtorch-lab JupyterLab extension, in one place.
 */

// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace CommandIDs {
  /** Show the symbolic distillation side panel. */
  export const openPanel = 'symtorch-lab:open-panel';
  /** Ask the kernel for the model list and module tree again. */
  export const refresh = 'symtorch-lab:refresh';
  /** Expand every module of the tree. */
  export const expandAll = 'symtorch-lab:expand-all';
  /** Collapse the tree to the top level. */
  export const collapseAll = 'symtorch-lab:collapse-all';
}

/** Id of the side panel widget (also its tab in the left sidebar). */
export const PANEL_ID = 'symtorch-lab-panel';
