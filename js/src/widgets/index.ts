/**
 * The one widget bundle: every symtorch_lab widget view, chosen by the model's `_stl_kind`.
 * Served once from the lab extension's static folder (the Python side's loader ESM imports it)
 * or, without the extension, sent inline as the widget's ESM.
 */
import type { AnyModel, Render, RenderProps } from '@anywidget/types';
import { renderBoundary } from './boundary';
import { renderFront } from './front';
import { renderLab } from './lab';
import { renderSlime } from './slime';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const VIEWS: Record<string, Render<any>> = {
  boundary: renderBoundary,
  front: renderFront,
  lab: renderLab,
  slime: renderSlime
};

function render(props: RenderProps<{ _stl_kind: string }>) {
  const model = props.model as AnyModel<{ _stl_kind: string }>;
  const kind = model.get('_stl_kind');
  const view = VIEWS[kind];
  if (!view) {
    props.el.textContent = `symtorch_lab: no view for widget kind ${JSON.stringify(kind)}`;
    return;
  }
  return view(props);
}

export default { render };
