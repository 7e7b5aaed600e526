"""Command line: ``python -m symtorch_lab demo`` / ``train-charlm`` (also ``symtorch-lab``)."""

from __future__ import annotations

import sys

COMMANDS = {
    "demo": "train an MLP on a hidden law, distill it on Operon, replace it, measure it",
    "train-charlm": "train a small char-level GPT-2 on Python's help texts, save it locally",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: symtorch-lab COMMAND [options]\n\ncommands:")
        for name, text in COMMANDS.items():
            print(f"  {name:12} {text}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    if argv[0] == "train-charlm":
        from .llm.charlm import main as charlm_main

        return charlm_main(argv[1:])
    from .demo import main as demo_main

    return demo_main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
