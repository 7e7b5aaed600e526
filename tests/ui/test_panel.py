"""Kernel side of the side panel, driven through a fake comm (no kernel, no browser)."""

import asyncio
import threading
import time

import pytest
from torch import nn

from symtorch_lab.ui import panel as panels
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.coalescer import Coalescer
from tests.helpers import run_in_fresh_loop


class FakeComm:
    def __init__(self):
        self.sent: list[dict] = []
        self.on_msg_cb = self.on_close_cb = None

    def send(self, data):
        self.sent.append(data)

    def on_msg(self, cb):
        self.on_msg_cb = cb

    def on_close(self, cb):
        self.on_close_cb = cb

    def request(self, msg_id="r1", **payload):
        self.on_msg_cb({"content": {"data": {"v": P.PROTOCOL_VERSION, "id": msg_id, **payload}}})
        return self.sent[-1]


@pytest.fixture
def tiny_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.fixture
def session(tiny_model):
    namespace = {"model": tiny_model, "_hidden": nn.Linear(1, 1), "x": 3}
    panel = panels.Panel(lambda: namespace)
    comm = FakeComm()
    panel.open(comm)
    return panel, comm, namespace


def test_open_sends_the_public_models(session):
    _, comm, _ = session
    assert comm.sent[0] == P.event(
        "models", models=[{"name": "model", "type": "Sequential", "n_params": 58, "n_modules": 4}]
    )


def test_tree_lists_every_module_with_parameter_counts(session):
    _, comm, _ = session
    reply = comm.request(type="get_tree", model="model")
    assert reply["type"] == "response" and reply["id"] == "r1"
    nodes = reply["result"]["nodes"]
    assert [(n["path"], n["type"], n["n_params"], n["n_children"]) for n in nodes] == [
        ("", "Sequential", 58, 3),
        ("0", "Linear", 40, 0),
        ("1", "Tanh", 0, 0),
        ("2", "Linear", 18, 0),
    ]
    assert all(n["status"] == "not_distilled" and n["input_shape"] is None for n in nodes)


def test_select_module_is_recorded_and_forwarded(session):
    panel, comm, _ = session
    seen = []
    panel.on_select(lambda model, path: seen.append((model, path)))
    reply = comm.request(type="select_module", model="model", path="2")
    assert reply["result"] == {"model": "model", "path": "2", "status": "not_distilled"}
    assert panel.selection == ("model", "2") and seen == [("model", "2")]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "get_tree", "model": "nope"}, "unknown_model"),
        ({"type": "get_tree", "model": "_hidden"}, "unknown_model"),
        ({"type": "select_module", "model": "model", "path": "9"}, "unknown_module"),
        ({"type": "start_distill", "model": "model", "path": "0"}, "not_implemented"),
        ({"type": "get_tree"}, "bad_message"),
    ],
)
def test_bad_requests_get_error_replies(session, payload, code):
    _, comm, _ = session
    reply = comm.request(msg_id="r7", **payload)
    assert reply["type"] == "error" and reply["code"] == code and reply["id"] == "r7"


@pytest.mark.parametrize("msg", [None, 5, {"content": 5}, {"content": {"data": "x"}}, {}])
def test_garbage_comm_messages_never_raise(session, msg):
    _, comm, _ = session
    comm.on_msg_cb(msg)
    assert comm.sent[-1]["type"] == "error" and comm.sent[-1]["code"] == "bad_message"


class Source:
    def __init__(self, model):
        self.model = model
        self.requests = []

    def module_shapes(self):
        return {"0": ((4,), (8,))}

    def module_status(self):
        return {"0": "searching"}

    def handle(self, request):
        self.requests.append(request)
        return {"model": request["model"], "path": request["path"], "status": "replaced"}


def test_an_attached_source_adds_shapes_status_and_handles_engine_requests(session, tiny_model):
    panel, comm, _ = session
    source = Source(tiny_model)
    panel.attach(source)
    node = comm.request(type="get_tree", model="model")["result"]["nodes"][1]
    assert (node["input_shape"], node["output_shape"], node["status"]) == ([4], [8], "searching")
    reply = comm.request(type="replace", model="model", path="0")
    assert reply["result"]["status"] == "replaced" and source.requests[0]["type"] == "replace"
    panel.detach(source)
    assert panel.source_for(tiny_model) is None


def test_new_models_and_changed_trees_are_pushed_after_a_cell(session):
    panel, comm, namespace = session
    comm.request(type="get_tree", model="model")
    panel.after_cell()
    n_sent = len(comm.sent)
    panel.after_cell()
    assert len(comm.sent) == n_sent  # nothing changed: nothing sent
    namespace["model"].append(nn.ReLU())
    namespace["other"] = nn.Linear(2, 2)
    panel.after_cell()
    kinds = [m["type"] for m in comm.sent[n_sent:]]
    assert kinds == ["models", "tree"]
    assert [m["name"] for m in comm.sent[n_sent]["models"]] == ["model", "other"]


def test_closed_sessions_are_dropped(session):
    panel, comm, _ = session
    comm.on_close_cb({})
    assert panel.sessions == []


def test_tree_of_a_model_with_hundreds_of_modules_lists_them_all():
    model = nn.Sequential(
        *[
            nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.LayerNorm(4))
            for _ in range(125)
        ]
    )
    tree = panels.module_tree("big", model)
    assert len(tree["nodes"]) == 626


def test_coalescer_flushes_on_the_loop_thread_a_few_times():
    flushed: list[tuple[set, str]] = []

    async def scenario():
        coalescer = Coalescer(
            lambda keys: flushed.append((keys, threading.current_thread().name)), interval=0.05
        )

        def worker():
            for i in range(200):
                coalescer.mark(i % 3)
                time.sleep(0.0005)

        thread = threading.Thread(target=worker)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.15)

    run_in_fresh_loop(scenario())
    assert 1 <= len(flushed) <= 10
    assert set().union(*(keys for keys, _ in flushed)) == {0, 1, 2}
    assert {name for _, name in flushed} == {"stl-test-loop"}  # the loop's thread, not the worker


def test_flush_now_cancels_the_scheduled_flush():
    """A stray timer from before flush_now() must not flush again inside the interval."""
    flushed: list[float] = []

    async def scenario():
        coalescer = Coalescer(lambda keys: flushed.append(time.monotonic()), interval=0.2)
        coalescer.flush_now()  # starts the interval

        async def mark_from_worker(key):
            t = threading.Thread(target=coalescer.mark, args=(key,))
            t.start()
            while t.is_alive():
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.02)  # let the loop run _schedule

        await mark_from_worker("a")  # schedules a flush ~0.2 s after the start
        await asyncio.sleep(0.05)
        coalescer.flush_now()  # flushes "a" now
        await mark_from_worker("b")  # due 0.2 s after that flush, not at the old timer
        await asyncio.sleep(0.5)

    run_in_fresh_loop(scenario())
    assert len(flushed) == 2
    assert flushed[1] - flushed[0] >= 0.18, flushed


def test_coalescer_without_a_loop_flushes_synchronously():
    flushed = []
    coalescer = Coalescer(flushed.append)
    coalescer.mark("a")
    assert flushed == [{"a"}]
