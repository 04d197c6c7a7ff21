#!/usr/bin/env bash
# Multi-GPU (and multi-node) training with torchrun + mmengine's pytorch launcher.
#   tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: NNODES=2 NODE_RANK=0|1 MASTER_ADDR=host0 tools/dist_train.sh CONFIG 8
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
HERE=$(cd "$(dirname "$0")" && pwd)
# The project's .venv when there is one (a fresh shell need not activate it).
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python
    [ -x "$HERE/../.venv/bin/python" ] && PYTHON="$HERE/../.venv/bin/python"
fi

PYTHONPATH="$HERE/..":${PYTHONPATH:-} \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$HERE/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
