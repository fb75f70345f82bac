#!/usr/bin/env bash
# Installs what perfjudge needs on a fresh Debian/Ubuntu machine, then the package itself
# into .venv. `--test` adds what the test suite needs (headless Chromium for the HTML
# report test). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

system_packages=(bubblewrap valgrind gcc libc6-dev)
if [ "${1:-}" = "--test" ]; then
  system_packages+=(chromium fonts-liberation)
fi

missing=()
for pkg in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "perfjudge: please install: ${missing[*]} (bubblewrap and valgrind are needed for" \
         "the sandbox and the deterministic meter)" >&2
  else
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "perfjudge: installing Debian packages: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "perfjudge needs Python >= 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extra=""
if [ "${1:-}" = "--test" ]; then
  extra="[test]"
  # The generation tests run a tiny model on the CPU: a CPU build of torch is enough. Where
  # pip's configuration offers one (CI's machines keep torch 2.13.0+cpu on disk) this takes
  # it; elsewhere set TORCH_SPEC, e.g. to install from https://download.pytorch.org/whl/cpu.
  if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    .venv/bin/python -m pip install -q --disable-pip-version-check ${TORCH_SPEC:-torch==2.13.0}
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"
if [ "${1:-}" = "--test" ]; then
  # The service tests drive `perfjudge serve` with verl's own SandboxFusion client
  # (verl/utils/reward_score/sandbox_fusion/utils.py, which needs only `requests`); the rest
  # of verl (torch, vllm, ...) is not needed, so none of its dependencies are installed.
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "verl==0.9.1"
fi
