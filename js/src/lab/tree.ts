/**
 * Collapsible module tree. Only rows of expanded parents exist in the DOM, so a model with
 * hundreds of modules renders as fast as its visible part; one delegated listener serves all rows.
 */
import type { ModuleNode, ModuleTree } from '../protocol';
import { buildRow, parentOf } from './treerow';

export class ModuleTreeView {
  readonly node: HTMLElement = document.createElement('div');
  /** Called with the module path when a row is clicked or chosen with Enter. */
  onSelect: (path: string) => void = () => undefined;
  /** Duration of the last DOM build, in ms (also written to `data-render-ms`). */
  lastRenderMs = 0;

  constructor() {
    this.node.className = 'stl-tree';
    this.node.setAttribute('role', 'tree');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', this._onClick);
    this.node.addEventListener('keydown', this._onKey);
  }

  /** Show a new tree; expansion and selection survive when the model stays the same. */
  setTree(tree: ModuleTree | null, rootLabel = ''): void {
    if (!tree || tree.model !== this._tree?.model) {
      this._expanded = new Set(['']);
      this._selected = null;
    }
    this._tree = tree;
    this._rootLabel = rootLabel || tree?.model || '';
    this._children.clear();
    this._nodes.clear();
    for (const node of tree?.nodes ?? []) {
      this._nodes.set(node.path, node);
      const parent = parentOf(node.path);
      if (parent !== null) {
        const siblings = this._children.get(parent) ?? [];
        siblings.push(node);
        this._children.set(parent, siblings);
      }
    }
    this.render();
  }

  setExpanded(path: string, expanded: boolean): void {
    if (expanded) this._expanded.add(path);
    else this._expanded.delete(path);
    this.render();
  }

  expandAll(): void {
    this._expanded = new Set([...this._children.keys()]);
    this.render();
  }

  collapseAll(): void {
    this._expanded = new Set(['']);
    this.render();
  }

  select(path: string): void {
    this._selected = path;
    this.render();
    this.onSelect(path);
  }

  /** Rebuild the visible rows (pre-order walk of expanded nodes). */
  render(): void {
    const start = performance.now();
    const fragment = document.createDocumentFragment();
    const root = this._nodes.get('');
    if (root) this._appendRows(fragment, root, 0);
    this.node.replaceChildren(fragment);
    this.lastRenderMs = performance.now() - start;
    this.node.dataset.renderMs = this.lastRenderMs.toFixed(2);
    this.node.dataset.rows = String(this.node.childElementCount);
  }

  private _appendRows(parent: DocumentFragment, node: ModuleNode, depth: number): void {
    const expanded = this._expanded.has(node.path);
    parent.appendChild(
      buildRow(node, {
        depth,
        expanded,
        selected: node.path === this._selected,
        rootLabel: this._rootLabel
      })
    );
    if (!expanded) return;
    for (const child of this._children.get(node.path) ?? []) {
      this._appendRows(parent, child, depth + 1);
    }
  }

  private _onClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    const row = target.closest<HTMLElement>('.stl-tree-row');
    if (!row || row.dataset.path === undefined) return;
    const path = row.dataset.path;
    if (target.classList.contains('stl-tree-toggle')) {
      this.setExpanded(path, !this._expanded.has(path));
    } else {
      this.select(path);
    }
  };

  private _onKey = (event: KeyboardEvent): void => {
    const rows = [...this.node.querySelectorAll<HTMLElement>('.stl-tree-row')];
    const index = rows.findIndex(r => r.dataset.path === this._selected);
    const path = this._selected ?? '';
    const moves: Record<string, () => void> = {
      ArrowDown: () => rows[index + 1] && this.select(rows[index + 1].dataset.path!),
      ArrowUp: () => index > 0 && this.select(rows[index - 1].dataset.path!),
      ArrowRight: () => this.setExpanded(path, true),
      ArrowLeft: () => this.setExpanded(path, false)
    };
    if (moves[event.key]) {
      event.preventDefault();
      moves[event.key]();
    }
  };

  private _tree: ModuleTree | null = null;
  private _rootLabel = '';
  private _nodes = new Map<string, ModuleNode>();
  private _children = new Map<string, ModuleNode[]>();
  private _expanded = new Set<string>(['']);
  private _selected: string | null = null;
}
