/**
 * DOM for one row of the module tree: toggle, name, type, parameter count, shapes, status badge.
 */
import type { ModuleNode } from '../protocol';

const STATUS_LABEL: Record<ModuleNode['status'], string> = {
  not_distilled: 'not distilled',
  searching: 'searching',
  distilled: 'distilled',
  replaced: 'replaced',
  replaced_elsewhere: 'replaced by another Lab'
};

/** Parent path of a module path (`''` is the root, whose parent is null). */
export function parentOf(path: string): string | null {
  if (path === '') return null;
  return path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
}

function shapeText(node: ModuleNode): string {
  const fmt = (s: number[] | null) => (s ? `(${s.join(', ')})` : '?');
  return node.input_shape || node.output_shape
    ? `${fmt(node.input_shape)}→${fmt(node.output_shape)}`
    : '';
}

export interface IRowState {
  depth: number;
  expanded: boolean;
  selected: boolean;
  rootLabel: string;
}

export function buildRow(node: ModuleNode, state: IRowState): HTMLElement {
  const row = document.createElement('div');
  const hasChildren = node.n_children > 0;
  row.className = 'stl-tree-row' + (state.selected ? ' stl-mod-selected' : '');
  row.setAttribute('role', 'treeitem');
  row.setAttribute('aria-level', String(state.depth + 1));
  row.setAttribute('aria-selected', String(state.selected));
  if (hasChildren) row.setAttribute('aria-expanded', String(state.expanded));
  row.dataset.path = node.path;
  row.style.setProperty('--stl-depth', String(state.depth));
  const name = node.path === '' ? state.rootLabel : node.path.slice(node.path.lastIndexOf('.') + 1);
  const shape = shapeText(node);
  const cells: [string, string, string][] = [
    ['stl-tree-toggle', hasChildren ? (state.expanded ? '▾' : '▸') : '', ''],
    ['stl-tree-name', name, node.path || state.rootLabel],
    ['stl-tree-type', node.type, node.type],
    ['stl-tree-params', node.n_params.toLocaleString('en-US'), `${node.n_params} parameters`],
    ['stl-tree-shape', shape, shape && `${shape}: input → output shape (one call)`],
    [`stl-badge stl-badge-${node.status}`, '', STATUS_LABEL[node.status]]
  ];
  for (const [cls, text, title] of cells) {
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    if (title) span.title = title;
    row.appendChild(span);
  }
  return row;
}
