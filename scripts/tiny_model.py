"""Build the tiny model the generation tests and benchmarks serve: offline, in seconds.

A randomly initialised 2-layer Llama (about 53k parameters) with a byte-level BPE tokenizer
trained on the HumanEval prompts and solutions, and a chat template. Its outputs are
nonsense code; what it gives the tests is a real model behind a real server: real
tokenization, real sampling (``do_sample`` with a seed), streamed tokens, ``usage`` counts,
and a mix of ``stop`` and ``length`` endings (the end-of-sequence token gets a bias of +4
over near-uniform logits, about a 5% chance per token).

    python scripts/tiny_model.py OUT_DIR [--data-dir ../shared/data] [--serve PORT]

``--serve`` then serves it with ``transformers serve`` on 127.0.0.1 (OpenAI-compatible API at
``http://127.0.0.1:PORT/v1``, model name = OUT_DIR) until interrupted. `start_server` is what
the tests and ``perf/generation_overhead.py`` use.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SEED = 0


def build(out: Path, data_dir: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    if (out / "model.safetensors").exists():
        return out
    with gzip.open(data_dir / "humaneval" / "HumanEval.jsonl.gz", "rt") as handle:
        rows = [json.loads(line) for line in handle]
    texts = [r["prompt"] + r["canonical_solution"] for r in rows]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=1024, special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>")
    fast.chat_template = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n"
                          "{% endfor %}{% if add_generation_prompt %}<s>assistant\n{% endif %}")
    torch.manual_seed(SEED)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=4096, bos_token_id=fast.bos_token_id,
                         eos_token_id=fast.eos_token_id, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
        pad_token_id=fast.eos_token_id, do_sample=True, temperature=1.0, top_k=0,
        sequence_bias=[[[fast.eos_token_id], 4.0]])
    tmp = out.with_name(out.name + ".part")
    model.save_pretrained(tmp)
    fast.save_pretrained(tmp)
    tmp.rename(out)
    return out


@dataclass
class Server:
    base_url: str
    model: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, log: Path, port: int | None = None,
                 timeout_s: float = 180.0) -> Server:
    """``transformers serve MODEL`` on 127.0.0.1, on the CPU, once it answers /health."""
    import httpx

    port = port or free_port()
    exe = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "OMP_NUM_THREADS": "1"}
    handle = open(log, "wb")
    process = subprocess.Popen([str(exe), "serve", str(model), "--host", "127.0.0.1",
                                "--port", str(port), "--device", "cpu", "--log-level", "info"],
                               stdout=handle, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return Server(f"http://127.0.0.1:{port}/v1", str(model), process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"transformers serve did not answer in {timeout_s} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--serve", type=int, metavar="PORT", help="then serve it on PORT")
    args = parser.parse_args()
    model = build(args.out.resolve(), args.data_dir)
    print(model)
    if args.serve:
        server = start_server(model, model.with_name(model.name + ".serve.log"), args.serve)
        print(f"serving {server.model} at {server.base_url} (Ctrl-C stops)", flush=True)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            server.stop()


if __name__ == "__main__":
    main()
