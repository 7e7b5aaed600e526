import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError, Requester } from '../src/requests';
import { WidgetRequester } from '../src/widgets/labrequest';
import { MockModel } from './mockmodel';

function channel(timeoutMs = 0) {
  const sent: Record<string, unknown>[] = [];
  const requester = new Requester({ send: m => void sent.push(m), prefix: 't', timeoutMs });
  return { sent, requester };
}

const ok = (id: unknown, result: object) => ({ v: 1, id, type: 'response', request: 'x', result });

describe('Requester', () => {
  it('sends the envelope and matches replies to requests by id, in any order', async () => {
    const { sent, requester } = channel();
    const tree = requester.request('get_tree', { model: 'net' });
    const models = requester.request('list_models', {});
    assert.deepEqual(sent[0], { model: 'net', v: 1, id: 't-1', type: 'get_tree' });
    assert.notEqual(sent[0].id, sent[1].id);
    assert.equal(requester.handle(ok(sent[1].id, { models: ['b'] })), true);
    assert.equal(requester.handle(ok(sent[0].id, { model: 'net' })), true);
    assert.deepEqual(await models, { models: ['b'] });
    assert.deepEqual(await tree, { model: 'net' });
    assert.equal(requester.pending, 0);
  });

  it('drops replies with an unknown id and passes kernel events on', () => {
    const { requester } = channel();
    void requester.request('list_models', {});
    assert.equal(requester.handle(ok('other-7', {})), true);
    assert.equal(requester.pending, 1);
    assert.equal(requester.handle({ v: 1, type: 'models', models: [] }), false);
    assert.equal(requester.handle(null), false);
  });

  it('rejects with the kernel error code and message', async () => {
    const { sent, requester } = channel();
    const pending = requester.request('select_module', { model: 'net', path: 'fc9' });
    const message = 'no module "fc9" in net';
    requester.handle({ v: 1, id: sent[0].id, type: 'error', code: 'unknown_module', message });
    await assert.rejects(pending, (e: ProtocolError) => {
      assert.ok(e instanceof ProtocolError);
      return e.code === 'unknown_module' && e.message === message;
    });
  });

  it('rejects a request with no reply after the timeout, naming it', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { sent, requester } = channel(5000);
    const pending = requester.request('compare', { model: 'net' });
    t.mock.timers.tick(4999);
    assert.equal(requester.pending, 1);
    t.mock.timers.tick(1);
    await assert.rejects(pending, (e: ProtocolError) => {
      return e.code === 'timeout' && /"compare" within 5 s/.test(e.message);
    });
    assert.equal(requester.handle(ok(sent[0].id, {})), true); // a late reply is dropped
  });

  it('reports busy on the first pending request and idle after the last', async () => {
    const { sent, requester } = channel();
    const busy: boolean[] = [];
    requester.onBusy = b => void busy.push(b);
    void requester.request('list_models', {});
    void requester.request('list_models', {});
    requester.handle(ok(sent[0].id, {}));
    assert.deepEqual(busy, [true]);
    requester.handle(ok(sent[1].id, {}));
    assert.deepEqual(busy, [true, false]);
  });

  it('rejects pending and new requests once closed, and send failures', async () => {
    const { requester } = channel();
    const pending = requester.request('list_models', {});
    requester.close('kernel restarted');
    await assert.rejects(pending, { code: 'closed', message: 'kernel restarted' });
    await assert.rejects(requester.request('list_models', {}), { code: 'closed' });
    const broken = new Requester({
      send: () => {
        throw new Error('comm is gone');
      }
    });
    await assert.rejects(broken.request('list_models', {}), /could not send list_models/);
    assert.equal(broken.pending, 0);
  });
});

describe('WidgetRequester over an anywidget model', () => {
  it('settles only its own requests when two views share a model', async () => {
    const model = new MockModel({ model: 'net' });
    const a = new WidgetRequester(model as never);
    const b = new WidgetRequester(model as never);
    const fromA = a.request('stop', { model: 'net', path: 'fc1' });
    const fromB = b.request('stop', { model: 'net', path: 'fc2' });
    const [idA, idB] = model.sent.map(m => m.id);
    assert.notEqual(idA, idB);
    model.reply(ok(idB, { path: 'fc2' }));
    assert.equal(a.pending, 1);
    model.reply(ok(idA, { path: 'fc1' }));
    assert.deepEqual(await fromA, { path: 'fc1' });
    assert.deepEqual(await fromB, { path: 'fc2' });
  });

  it('stops listening and rejects pending requests when the view is disposed', async () => {
    const model = new MockModel({ model: 'net' });
    const view = new WidgetRequester(model as never);
    const pending = view.request('compare', { model: 'net' });
    assert.equal(model.listeners('msg:custom'), 1);
    view.dispose();
    assert.equal(model.listeners('msg:custom'), 0);
    await assert.rejects(pending, { code: 'closed' });
  });
});
