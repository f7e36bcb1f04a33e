#!/usr/bin/env bash
# Executes every notebook in this folder headlessly with the tslab TypeScript kernel and fails on the
# first failing cell. Fast settings: NB_STEPS (default 40) training steps wherever a notebook trains.
#
# Needs: Debian jupyter-nbconvert jupyter-client python3-ipykernel python3-nbclient, the packages built
# (npm run build), and the tslab kernel registered once: npx tslab install --python=/usr/bin/python3
#   examples/notebooks/run.sh                 # all notebooks; executed copies go to $NB_OUT (a temp dir)
#   examples/notebooks/run.sh 02_pretrain     # one notebook
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"   # the kernel spec runs `tslab` from PATH
export NB_STEPS="${NB_STEPS:-40}"
out="${NB_OUT:-$(mktemp -d)}"
jupyter=/usr/bin/jupyter
[ -x "$jupyter" ] || { echo "run.sh: $jupyter missing: apt-get install jupyter-nbconvert jupyter-client python3-ipykernel python3-nbclient" >&2; exit 1; }
"$jupyter" kernelspec list 2>/dev/null | grep -q '^ *tslab ' || npx tslab install --python=/usr/bin/python3 >/dev/null
[ -f "$root/packages/vatt/dist/index.cjs" ] || { echo "run.sh: build the packages first (npm run build)" >&2; exit 1; }

names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(cd "$here" && ls [0-9]*.ipynb | sed 's/\.ipynb$//'))
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for name in "${names[@]}"; do
  start=$(date +%s)
  for attempt in 1 2 3; do
    # Run from this folder so `import 'vatt'` resolves through the workspace's node_modules.
    if (cd "$here" && "$jupyter" nbconvert --to notebook --execute "$name.ipynb" --output-dir "$out" \
        --ExecutePreprocessor.timeout=600 --log-level=WARN) 2> "$log"; then
      grep -v -e '^0.00s' -e 'frozen modules' "$log" >&2 || true
      break
    fi
    # tslab's kernel sometimes dies while answering its first kernel_info request (zeromq EBUSY,
    # "Socket is blocked by a bind or unbind operation"); nbconvert then reports a kernel that never
    # responded. That is a start-up race, not a notebook failure: start it again. Cell errors are not retried.
    if [ "$attempt" -lt 3 ] && grep -q -e "Kernel didn't respond" -e 'Socket is blocked by a bind or unbind operation' "$log" && ! grep -q 'CellExecutionError' "$log"; then
      echo "notebook $name: the tslab kernel did not start (attempt $attempt), starting it again" >&2
      continue
    fi
    grep -v -e '^0.00s' -e 'frozen modules' "$log" >&2
    echo "notebook $name: FAILED" >&2
    exit 1
  done
  echo "notebook $name: ok ($(( $(date +%s) - start )) s) -> $out/$name.ipynb"
done
