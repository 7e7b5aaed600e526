"""symtorch_lab.llm on real (tiny, random or briefly trained) Hugging Face causal LMs."""

import json
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

from symtorch_lab import llm  # noqa: E402
from symtorch_lab.expression import Expression  # noqa: E402
from symtorch_lab.pca import PCAProjection  # noqa: E402
from symtorch_lab.session import Session  # noqa: E402
from symtorch_lab.surrogate import SymbolicSurrogate, replaced  # noqa: E402

VOCAB = 23
SEARCH = {"niterations": 3, "population_size": 40, "maxsize": 7, "timeout_in_seconds": 10}


def distill_all_mlps(model, ids, file, **kw):
    """``llm.distill_mlps`` on every MLP with this file's small settings (3 → 2 components)."""
    small = dict(k_in=3, k_out=2, window=16, max_samples=300, progress=False, **SEARCH)
    return llm.distill_mlps(model, ids, "all", file=file, **small, **kw)


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def gpt2(n_layer=2, width=16):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=VOCAB,
        n_positions=32,
        n_embd=width,
        n_layer=n_layer,
        n_head=2,
        use_cache=False,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config).eval()


def llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=32,
        use_cache=False,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
    )
    return LlamaForCausalLM(config).eval()


def stream(n=16 * 12 + 5, seed=1):
    return torch.randint(0, VOCAB, (n,), generator=torch.Generator().manual_seed(seed))


def test_mlp_paths_of_gpt2_and_llama_layouts():
    assert llm.mlp_paths(gpt2(), "all") == ["transformer.h.0.mlp", "transformer.h.1.mlp"]
    assert llm.mlp_paths(llama(), [1]) == ["model.layers.1.mlp"]
    assert llm.mlp_paths(gpt2(), ["transformer.h.1.mlp"]) == ["transformer.h.1.mlp"]


@pytest.mark.parametrize("layers", [[5], ["model.layers.0.mlp"]])
def test_a_missing_mlp_path_names_the_paths_that_exist(layers):
    with pytest.raises(llm.MLPPathError) as err:
        llm.mlp_paths(gpt2(), layers)
    text = str(err.value)
    assert "transformer.h.0.mlp" in text and "transformer.h.1.mlp" in text


def test_perplexity_equals_a_hand_computation_over_non_overlapping_windows():
    model, ids = gpt2(), stream()
    got = llm.perplexity(model, ids, window=16, batch_size=5)
    nll, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(ids) - 15, 16):  # 12 whole windows, the 5-token tail dropped
            w = ids[start : start + 16]
            logp = torch.log_softmax(model(w[None]).logits[0].double(), dim=-1)
            nll -= float(logp[torch.arange(15), w[1:]].sum())
            count += 15
    assert count == 12 * 15
    assert got == pytest.approx(torch.tensor(nll / count).exp().item(), rel=1e-5)


def surrogate_on(width=16, k_in=3, k_out=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X, Y = torch.randn(200, width, generator=gen), torch.randn(200, width, generator=gen)
    names = [f"c{i}" for i in range(k_in)]
    exprs = [Expression.from_infix("c0 * c1 + sin(c2)", names), Expression.from_infix("1.5", names)]
    return SymbolicSurrogate(
        exprs[:k_out],
        in_shape=(width,),
        out_shape=(width,),
        in_projection=PCAProjection(k_in).fit(X),
        out_projection=PCAProjection(k_out).fit(Y),
        path="mlp",
    )


def test_fused_surrogate_keeps_batch_seq_hidden_and_equals_the_plain_one():
    plain = surrogate_on()
    fused = llm.FusedSurrogate.from_surrogate(plain)
    x = torch.randn(3, 7, 16)
    out = fused(x)
    assert out.shape == (3, 7, 16)
    torch.testing.assert_close(out, plain(x), rtol=1e-5, atol=1e-5)
    assert fused.to_json() == plain.to_json()
    with pytest.raises(ValueError, match=r"\(3, 7, 15\)"):
        fused(torch.randn(3, 7, 15))


def test_skip_and_pca_baselines_are_what_they_say():
    model, ids = gpt2(), stream()[None, :32]
    paths = llm.mlp_paths(model)
    with torch.no_grad():
        with replaced(model, {p: llm.SkipMLP() for p in paths}):
            skipped = model(ids).logits
        zeroed = gpt2()  # the same weights with every MLP's output projection zero
        for p in paths:
            zeroed.get_submodule(p).c_proj.weight.zero_()
            zeroed.get_submodule(p).c_proj.bias.zero_()
        torch.testing.assert_close(skipped, zeroed(ids).logits)
        rows = torch.randn(300, 16)
        p_in, p_out = PCAProjection(16).fit(rows), PCAProjection(16).fit(rows)
        full = {p: llm.PCAReconstruction(model.get_submodule(p), p_in, p_out) for p in paths}
        with replaced(model, full):  # all components kept: the original network
            torch.testing.assert_close(model(ids).logits, gpt2()(ids).logits, atol=1e-4, rtol=0)
        mlp, h = model.get_submodule(paths[0]), torch.randn(2, 5, 16)
        small_in, small_out = PCAProjection(4).fit(rows), PCAProjection(2).fit(rows * 2)
        want = small_out.inverse_transform(
            small_out.transform(mlp(small_in.inverse_transform(small_in.transform(h))))
        )
        got = llm.PCAReconstruction(mlp, small_in, small_out)(h)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_distill_mlps_replaces_resumes_and_restores_to_identical_logits(tmp_path):
    model, ids = gpt2(n_layer=2), stream(16 * 20)
    probe = stream(32, seed=7)[None]
    with torch.no_grad():
        before = model(probe).logits.clone()
    file = tmp_path / "lm.json"
    in_file = []  # the fronts in the session file whenever a dim is reported done

    def watch(event):
        if event.done and file.exists():
            in_file.append(sorted(json.loads(file.read_text())["layers"][0]["fronts"]))

    session = distill_all_mlps(model, ids, file, callbacks=[watch])
    assert ["0"] in in_file or ["1"] in in_file  # saved with one front, before the other
    path = "transformer.h.0.mlp"
    assert isinstance(model.get_submodule(path), llm.FusedSurrogate)
    with torch.no_grad():
        hybrid = model(probe).logits
    assert hybrid.shape == before.shape and not torch.equal(hybrid, before)
    saved = json.loads(file.read_text())
    assert sorted(saved["layers"][0]["fronts"]) == ["0", "1"]

    for p in session.jobs:
        session.restore(p)
    with torch.no_grad():
        assert torch.equal(model(probe).logits, before)

    generations = []  # resuming from the file: every front is there, nothing is searched
    again = distill_all_mlps(model, ids, file, callbacks=[generations.append])
    assert generations == []

    def picks(sess):  # layer 1 recorded behind the original layer 0, not its surrogate
        return {
            (p, d): str(f.selected.expression)
            for p, j in sess.jobs.items()
            for d, f in j.fronts.items()
        }

    assert picks(again) == picks(session)
    for p in again.jobs:
        again.restore(p)

    rows = llm.evaluate_session(again, stream(16 * 6, seed=3), window=16, repeats=2, warmup=1)
    assert [r["variant"] for r in rows] == ["original", "pca", "skip", "hybrid"]
    assert rows[0]["perplexity"] == pytest.approx(
        llm.perplexity(model, stream(16 * 6, seed=3), window=16), rel=1e-9
    )
    with torch.no_grad():
        assert torch.equal(model(probe).logits, before)  # measuring put the originals back
    from symtorch_lab.ui.views import compare_record

    again.save(file)  # the record passes the session file's checks and comes back
    loaded = Session.load(file, gpt2(n_layer=2))
    record = compare_record(loaded.comparisons[-1])
    assert (record["metric"], record["unit"]) == ("perplexity", "tokens")
    assert record["before"] == rows[0]["perplexity"]
    assert record["after"] == rows[3]["perplexity"]
    assert record["batch"] == rows[0]["batch_tokens"] == 6 * 16  # tokens per timed forward
    assert record["device"] == "cpu"


def test_train_charlm_command_saves_a_model_that_loads(tmp_path, capsys):
    from symtorch_lab.__main__ import main

    out = tmp_path / "charlm"
    args = ["--out", str(out), "--steps", "3", "--layers", "1", "--width", "16", "--heads", "2"]
    assert main(["train-charlm", *args, "--seq", "32", "--batch", "2"]) == 0
    assert "validation perplexity" in capsys.readouterr().out
    model, tok = llm.load_charlm(out)
    assert llm.mlp_paths(model) == ["transformer.h.0.mlp"]
    ids = tok.encode("def f(x):\n    return x")
    assert tok.decode(ids) == "def f(x):\n    return x"
    assert model(ids[None]).logits.shape == (1, len(ids), tok.vocab_size)


def test_distill_mlps_fans_components_out_through_the_executor_seam(tmp_path):
    """Issue 7: the LLM workflow runs its per-component searches on the executor seam (here
    a local process pool) and gets the fronts the serial run gets."""
    ids = stream(16 * 20)
    fronts = {}
    for executor in (None, "processes"):
        model = gpt2(n_layer=1)
        file = tmp_path / f"{executor}.json"
        session = distill_all_mlps(model, ids, file, executor=executor, n_jobs=2)
        job = session.jobs["transformer.h.0.mlp"]
        fronts[executor] = {d: [str(c.expression) for c in f] for d, f in job.fronts.items()}
    assert sorted(fronts["processes"]) == [0, 1]
    assert fronts["processes"] == fronts[None]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_cpu_working_memory_sees_buffers_that_reuse_heap_freed_by_earlier_passes():
    # llm.ipynb showed working_bytes 0 for the original: its perplexity pass had freed heap
    # pages the timed forward then reused without growing the RSS
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.GELU(), torch.nn.Linear(256, 64))
    x = torch.randn(8, 128, 64)
    with torch.no_grad():
        for _ in range(5):
            mlp(x)  # what perplexity() does before the measurement
    working, how = llm.working_memory(mlp, x)
    hidden = 8 * 128 * 256 * 4  # one (batch, seq, 256) float32 activation
    assert how == "cpu_peak_rss"
    assert working >= hidden, (working, hidden)
