// Generated from symtorch_lab/ui/protocol.py by
//   python -m symtorch_lab.ui.protocol_ts --ts js/src/protocol.ts
// Do not edit by hand: CI regenerates this file and fails if it differs.

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'symtorch_lab.panel';

export type SlimeKind = 'surface' | 'tabular';

export type SlimePhase = 'idle' | 'running' | 'stopping' | 'done' | 'stopped' | 'error';

/**
 * Per-explanation overrides (`SlimeExplainer.explain_instance` names): J real
 * neighbours, the number of synthetic Gaussian samples and the kernel width.
 */
export interface SlimeSettings {
  num_neighbours?: number;
  num_synthetic?: number;
  kernel_width?: number;
}

/**
 * Slider ranges of the widget ([low, high] per setting).
 */
export interface SlimeLimits {
  num_neighbours: number[];
  num_synthetic: number[];
  kernel_width: number[];
}

/**
 * The 2-D grid the decision surface and the level sets are evaluated on: `nx` columns
 * from `x_min` to `x_max` (feature `x_name`), `ny` rows over `y`; buffers hold
 * `ny * nx` float32 values, row by row. `z_min`/`z_max` bound f on the grid.
 */
export interface SlimeGrid {
  x_name: string;
  y_name: string;
  x_min: number;
  x_max: number;
  y_min: number;
  y_max: number;
  nx: number;
  ny: number;
  z_min: number;
  z_max: number;
}

/**
 * Local fidelity on a fresh neighbourhood sample (not used in fitting): weighted MSE and
 * R² against f, and |g(x0) − f(x0)|. Null where not finite.
 */
export interface SlimeFidelity {
  weighted_mse: number | null;
  r2: number | null;
  abs_error_x0: number | null;
}

/**
 * One feature's local effect: LIME's coefficient, or SLIME's ∂g/∂x at x0.
 */
export interface FeatureWeight {
  feature: string;
  weight: number;
}

/**
 * One explanation, as the views show it. `row` is the data row explained (null for a
 * clicked point); `level` the level set drawn (0.5 for a probability, else f(x0));
 * `pd_features` / `pd_points` lay out the widget's `pd` buffer (per feature: x values,
 * then f, LIME and SLIME on them, `pd_points` each).
 */
export interface SlimeSummary {
  request: number;
  x0: number[];
  row: number | null;
  f_x0: number;
  g_x0: number;
  text: string;
  latex: string;
  complexity: number;
  level: number;
  fidelity: SlimeFidelity;
  lime_fidelity: SlimeFidelity;
  lime_weights: FeatureWeight[];
  lime_intercept: number;
  effects: FeatureWeight[];
  features_used: string[];
  note: string;
  stopped: boolean;
  n_neighbours: number;
  n_synthetic: number;
  pd_features: string[];
  pd_points: number;
}

/**
 * One expression of the local Pareto front (streamed while the search runs).
 */
export interface SlimeFrontPoint {
  complexity: number;
  loss: number;
  text: string;
  latex: string;
}

/**
 * Where the current explanation stands; `request` counts the explanations started
 * (a newer one stops the older one's search).
 */
export interface SlimeStatus {
  request: number;
  phase: SlimePhase;
  message: string;
  elapsed: number;
  n_candidates: number;
}

/**
 * Synced traits of `SlimeWidget` (the notebook face of `symtorch_lab.SlimeLab`).
 */
export interface SlimeState {
  explainer: string;
  kind: SlimeKind;
  feature_names: string[];
  target: string;
  n_rows: number;
  grid: SlimeGrid | null;
  n_data: number;
  settings: SlimeSettings;
  limits: SlimeLimits;
  status: SlimeStatus;
  front: SlimeFrontPoint[];
  summary: SlimeSummary | null;
  error: string;
}

/**
 * A `SlimeExplainer` (or a `SlimeLab`) found in the kernel's user namespace.
 */
export interface ExplainerInfo {
  name: string;
  type: string;
  mode: string;
  n_rows: number;
  n_features: number;
}

/**
 * Ask for the SLIME explainers in the user namespace.
 */
export interface ListExplainers {
  v: number;
  id: string;
  type: 'list_explainers';
}

/**
 * Explain `x0` (a clicked point) or data row `row` in the background; a running
 * explanation of the same explainer is stopped first.
 */
export interface SlimeExplain {
  v: number;
  id: string;
  type: 'slime_explain';
  explainer: string;
  x0?: number[];
  row?: number;
  settings?: SlimeSettings;
}

/**
 * Stop the running explanation's search; its partial front is kept.
 */
export interface SlimeStop {
  v: number;
  id: string;
  type: 'slime_stop';
  explainer: string;
}

/**
 * Result of `list_explainers`.
 */
export interface ExplainerList {
  explainers: ExplainerInfo[];
}

/**
 * Result of `slime_explain` / `slime_stop`: the explanation's number and phase.
 */
export interface SlimeRef {
  explainer: string;
  status: SlimeStatus;
}

/**
 * An explainer's status or explanation changed (sent to the panels).
 */
export interface SlimeEvent {
  v: number;
  type: 'slime';
  explainer: string;
  status: SlimeStatus;
  summary: SlimeSummary | null;
}

/**
 * The set of explainers in the user namespace changed.
 */
export interface ExplainersEvent {
  v: number;
  type: 'explainers';
  explainers: ExplainerInfo[];
}

export type ModuleStatus =
  'not_distilled' | 'searching' | 'distilled' | 'replaced' | 'replaced_elsewhere';

export type SearchState = 'idle' | 'running' | 'stopping' | 'done' | 'error';

export type ErrorCode =
  | 'bad_message'
  | 'unsupported_version'
  | 'unknown_model'
  | 'unknown_module'
  | 'unknown_explainer'
  | 'not_implemented'
  | 'engine'
  | 'internal';

export type DistillMode = 'distill' | 'gradient';

export type RequestType =
  | 'list_models'
  | 'get_tree'
  | 'select_module'
  | 'start_distill'
  | 'stop'
  | 'pick_candidate'
  | 'replace'
  | 'restore'
  | 'compare'
  | 'set_known_law'
  | 'list_explainers'
  | 'slime_explain'
  | 'slime_stop';

/**
 * One named submodule. `path` is the engine's module path (`""` is the root model);
 * the parent is the path up to its last `.`. `n_params` counts the module and its children.
 * Shapes are the trailing shapes of one call, from one recorded pass, or null when unknown.
 */
export interface ModuleNode {
  path: string;
  type: string;
  n_params: number;
  n_children: number;
  input_shape: number[] | null;
  output_shape: number[] | null;
  status: ModuleStatus;
}

/**
 * An `nn.Module` found in the kernel's user namespace, under its variable name.
 */
export interface ModelInfo {
  name: string;
  type: string;
  n_params: number;
  n_modules: number;
}

/**
 * Every named submodule of one model, in pre-order (`named_modules` order).
 */
export interface ModuleTree {
  model: string;
  nodes: ModuleNode[];
}

/**
 * One candidate expression on a Pareto front, for output dimension `dim`. `id` names
 * the expression for later requests; `text` and `latex` are for display only.
 * `recovers_law` (present once a known law is set and the front is marked) and `units_ok`
 * (present when the search had units) are the engine's marks (`ParetoFront.mark_law`,
 * `ParetoFront.mark_units`).
 */
export interface FrontPoint {
  dim: number;
  complexity: number;
  loss: number;
  id: string;
  text: string;
  latex: string;
  recovers_law?: boolean;
  units_ok?: boolean;
}

/**
 * Progress of the symbolic search on one module.
 */
export interface SearchStatus {
  model: string;
  path: string;
  state: SearchState;
  generation: number;
  elapsed: number;
  n_candidates: number;
  message: string;
}

/**
 * Synced traits of `FrontWidget`; `selected` is the clicked point's expression id.
 */
export interface FrontState {
  points: FrontPoint[];
  selected: string | null;
  title: string;
}

/**
 * Optional overrides for one search (engine vocabulary: PySR names). `mode` `gradient`
 * explains a classifier output or a latent neuron (unit `output` of the module) through
 * symbolic gradients instead of distilling it (see `BoundaryState`).
 */
export interface DistillSettings {
  maxsize?: number;
  niterations?: number;
  timeout_in_seconds?: number;
  k_in?: number;
  k_out?: number;
  mode?: DistillMode;
  output?: number;
}

/**
 * The clicked candidate of a `LabWidget`. `loss` is the search's training loss;
 * `heldout` the MSE on rows named by `heldout_label` (null when not computed yet);
 * `picked` is true when the engine stored the pick (false for a still-running front).
 * The parity plot's rows travel as a binary buffer: `n_parity` network outputs, then
 * `n_parity` expression outputs (float32).
 */
export interface CandidateDetail {
  path: string;
  dim: number;
  id: string;
  complexity: number;
  text: string;
  latex: string;
  loss: number;
  heldout: number | null;
  heldout_label: string;
  picked: boolean;
  n_parity: number;
}

/**
 * One before/after measurement of the original model against a hybrid.
 */
export interface CompareRecord {
  label: string;
  paths: string[];
  metric: string;
  before: number;
  after: number;
  throughput_before: number;
  throughput_after: number;
  unit: string;
  reference: string;
  batch?: number;
  device?: string;
}

/**
 * Synced traits of `BoundaryWidget`: a 2-D decision boundary with the level sets of a
 * formula `g` (kernel-side grid; the view only draws). The `nx * ny` grid travels as a
 * binary buffer (`grid` trait): `f` then `g`, float32, row-major (row `i` is
 * `y_range[0] + i * dy`). `g_levels` are the contour levels to draw, `g_boundary` the
 * level of `g` on the boundary `f = 0`; `fixed` names inputs held at a value (a slice).
 */
export interface BoundaryState {
  title: string;
  x_label: string;
  y_label: string;
  x_range: number[];
  y_range: number[];
  nx: number;
  ny: number;
  g_levels: number[];
  g_boundary: number;
  equation: string;
  fixed: string;
}

/**
 * Synced traits of `LabWidget` (the notebook face of `symtorch_lab.Lab`): the current
 * module, its front (all dims), the pick of each dim (`picks[str(dim)]` = expression id),
 * the search status, the clicked candidate, the comparison records, the last error and the last
 * gradient-mode explanation (`boundary`; its grid is the `boundary_grid` buffer).
 */
export interface LabState {
  model: string;
  module: string | null;
  module_status: ModuleStatus;
  points: FrontPoint[];
  picks: { [key: string]: string };
  status: SearchStatus | null;
  detail: CandidateDetail | null;
  records: CompareRecord[];
  error: string;
  known_law: string;
  boundary: BoundaryState | null;
}

/**
 * Ask for the models in the user namespace (answered with `{models: ModelInfo[]}`).
 */
export interface ListModels {
  v: number;
  id: string;
  type: 'list_models';
}

/**
 * Ask for the module tree of one model (answered with a ModuleTree).
 */
export interface GetTree {
  v: number;
  id: string;
  type: 'get_tree';
  model: string;
}

/**
 * The user clicked a module in the tree.
 */
export interface SelectModule {
  v: number;
  id: string;
  type: 'select_module';
  model: string;
  path: string;
}

/**
 * Record the module and start a background search on it.
 */
export interface StartDistill {
  v: number;
  id: string;
  type: 'start_distill';
  model: string;
  path: string;
  settings?: DistillSettings;
}

/**
 * Stop the search on a module after the current generation; the partial front is kept.
 */
export interface Stop {
  v: number;
  id: string;
  type: 'stop';
  model: string;
  path: string;
}

/**
 * Choose expression `expression_id` for output dimension `dim` of a module.
 */
export interface PickCandidate {
  v: number;
  id: string;
  type: 'pick_candidate';
  model: string;
  path: string;
  dim: number;
  expression_id: string;
}

/**
 * Swap the module for its picked expressions in the live model.
 */
export interface Replace {
  v: number;
  id: string;
  type: 'replace';
  model: string;
  path: string;
}

/**
 * Undo a replacement.
 */
export interface Restore {
  v: number;
  id: string;
  type: 'restore';
  model: string;
  path: string;
}

/**
 * Measure the original model against the hybrid (metric, throughput, memory).
 */
export interface Compare {
  v: number;
  id: string;
  type: 'compare';
  model: string;
}

/**
 * Mark the members of every front that recover `law` (infix over the module's input
 * variables, parsed kernel-side by the whitelisted parser; `""` clears the marks).
 */
export interface SetKnownLaw {
  v: number;
  id: string;
  type: 'set_known_law';
  model: string;
  law: string;
}

export type Request =
  | ListModels
  | GetTree
  | SelectModule
  | StartDistill
  | Stop
  | PickCandidate
  | Replace
  | Restore
  | Compare
  | SetKnownLaw
  | ListExplainers
  | SlimeExplain
  | SlimeStop;

/**
 * Result of `list_models`.
 */
export interface ModelList {
  models: ModelInfo[];
}

/**
 * Result of requests that act on one module: where it now stands.
 */
export interface ModuleRef {
  model: string;
  path: string;
  status: ModuleStatus;
}

/**
 * Result of `compare`: named task metrics and throughput, original vs hybrid.
 */
export interface Comparison {
  model: string;
  metric_name: string;
  original: { [key: string]: number };
  hybrid: { [key: string]: number };
}

/**
 * Success reply to the request with the same `id`; `result` per `RESULTS`.
 */
export interface OkResponse {
  v: number;
  id: string;
  type: 'response';
  request: RequestType;
  result: { [key: string]: unknown };
}

/**
 * Failure reply; `id` is empty when the request had no readable id.
 */
export interface ErrorResponse {
  v: number;
  id: string;
  type: 'error';
  code: ErrorCode;
  message: string;
}

/**
 * The set of models in the user namespace changed.
 */
export interface ModelsEvent {
  v: number;
  type: 'models';
  models: ModelInfo[];
}

/**
 * A model's tree changed (statuses, shapes); coalesced to a few per second.
 */
export interface TreeEvent {
  v: number;
  type: 'tree';
  tree: ModuleTree;
}

/**
 * Search progress on one module.
 */
export interface StatusEvent {
  v: number;
  type: 'status';
  status: SearchStatus;
}

export type KernelEvent = ModelsEvent | TreeEvent | StatusEvent | SlimeEvent | ExplainersEvent;

export type ServerMessage =
  OkResponse | ErrorResponse | ModelsEvent | TreeEvent | StatusEvent | SlimeEvent | ExplainersEvent;

/**
 * Result type of each request type.
 */
export interface ResultByRequest {
  list_models: ModelList;
  get_tree: ModuleTree;
  select_module: ModuleRef;
  start_distill: SearchStatus;
  stop: SearchStatus;
  pick_candidate: ModuleRef;
  replace: ModuleRef;
  restore: ModuleRef;
  compare: Comparison;
  set_known_law: ModuleRef;
  list_explainers: ExplainerList;
  slime_explain: SlimeRef;
  slime_stop: SlimeRef;
}
