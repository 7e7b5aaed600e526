import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { AnyModel } from '@anywidget/types';
import { ProtocolError } from '../src/requests';
import { WidgetRequester } from '../src/widgets/labrequest';
import { Signal } from '@lumino/signaling';
import {
  KERNEL_RESTARTED,
  NOT_CONNECTED,
  watchConnection,
  watchKernel
} from '../src/widgets/liveness';
import { MockModel } from './mockmodel';

type Status = (msg: { content: { execution_state: string } }) => void;

/** A model whose kernel acknowledges (busy, idle) like ipykernel, or never hears anything. */
class KernelModel extends MockModel<Record<string, unknown>> {
  statuses: Status[] = [];
  widget_manager = { kernel: { status: 'idle' } };

  send(message: Record<string, unknown>, callbacks?: { iopub: { status: Status } }): void {
    super.send(message);
    if (callbacks) this.statuses.push(callbacks.iopub.status);
  }
}

function setup() {
  const model = new KernelModel({});
  const lost: string[] = [];
  const watched = watchConnection(model as unknown as AnyModel, m => lost.push(m));
  return { model, lost, requester: new WidgetRequester(watched) };
}

const idle = { content: { execution_state: 'idle' } };

describe('watchConnection', () => {
  it('passes replies through and stays connected when the kernel answers', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { model, lost, requester } = setup();
    const reply = requester.request('list_models', {});
    const id = model.sent[0].id;
    model.reply({ v: 1, id, type: 'response', request: 'list_models', result: { models: [] } });
    model.statuses[0](idle);
    mock.timers.tick(5000);
    assert.deepEqual(await reply, { models: [] });
    assert.deepEqual(lost, []);
    mock.timers.reset();
  });

  it('an idle kernel that never hears the request (no comm): fails with how to reconnect', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { model, lost, requester } = setup();
    model.statuses.length = 0;
    const reply = requester.request('compare', { model: 'm' });
    mock.timers.tick(1500);
    await assert.rejects(reply, (e: ProtocolError) => e.code === 'unavailable');
    assert.deepEqual(lost, [NOT_CONNECTED]);
    assert.equal(requester.pending, 0);
    mock.timers.reset();
  });

  it('a kernel that goes idle without a reply (restarted): fails; later requests at once', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { model, lost, requester } = setup();
    const first = requester.request('compare', { model: 'm' });
    model.statuses[0]({ content: { execution_state: 'busy' } });
    model.statuses[0](idle);
    mock.timers.tick(500);
    await assert.rejects(first, /not connected to a running Lab/);
    const second = requester.request('compare', { model: 'm' });
    mock.timers.tick(0);
    await assert.rejects(second, /Re-run the cell/);
    assert.equal(lost.length, 1);
    mock.timers.reset();
  });

  it('a busy kernel (running a cell) is waited for, not declared lost', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { model, lost, requester } = setup();
    model.widget_manager.kernel.status = 'busy';
    void requester.request('compare', { model: 'm' }).catch(() => undefined);
    mock.timers.tick(10_000);
    assert.equal(requester.pending, 1);
    assert.deepEqual(lost, []);
    requester.dispose();
    mock.timers.reset();
  });

  it('a kernel restart (comm_live_update) marks the view lost at once', () => {
    const { model, lost } = setup();
    (model as unknown as { _emit: (n: string) => void })._emit('comm_live_update');
    assert.deepEqual(lost, [NOT_CONNECTED]);
  });
});

describe('watchKernel', () => {
  function kernelModel() {
    const kernel = { status: 'busy', statusChanged: new Signal<object, string>({}) };
    const model = new MockModel<Record<string, unknown>>({});
    Object.assign(model, { widget_manager: { kernel } });
    const lost: string[] = [];
    const stop = watchKernel(model as unknown as AnyModel, m => lost.push(m));
    return { kernel, lost, stop };
  }

  it('says at once that the kernel restarted mid-search, once', () => {
    const { kernel, lost } = kernelModel();
    kernel.statusChanged.emit('busy');
    kernel.statusChanged.emit('idle');
    assert.deepEqual(lost, []);
    kernel.statusChanged.emit('restarting');
    kernel.statusChanged.emit('dead');
    assert.deepEqual(lost, [KERNEL_RESTARTED]);
    assert.match(KERNEL_RESTARTED, /not connected to a running Lab.*Re-run the cell/);
  });

  it('stops listening when the view goes away, and needs no kernel', () => {
    const { kernel, lost, stop } = kernelModel();
    stop();
    kernel.statusChanged.emit('dead');
    assert.deepEqual(lost, []);
    const bare = new MockModel<Record<string, unknown>>({});
    assert.doesNotThrow(() => watchKernel(bare as unknown as AnyModel, () => undefined)());
  });
});
