"""Engine requests as the browser sends them, for the ui package's tests."""

from symtorch_lab.ui import protocol as P


def request(kind, msg_id="r1", **payload):
    """A request of ``kind`` for the model named ``model`` (the fixtures' variable name)."""
    return {"v": P.PROTOCOL_VERSION, "id": msg_id, "type": kind, "model": "model", **payload}
