#!/usr/bin/env bash
# Builds the wheel folder for a bare GPU machine (Python 3.12 with torch, torchvision, numpy, opencv,
# scipy, matplotlib, rich, pyyaml, regex, einops, pillow installed; no network): the light
# pre-training stack -- mmengine, mmcv-lite (no compiled ops, nothing to build there), mmpretrain,
# their small pure-Python dependencies and mmgersp itself -- as cp312 / py3-none-any wheels, about
# 4 MB. Optionally copies the benchmark images beside them. Usage, from the repository root:
#   tools/misc/device_wheels.sh [DEST] [--data]      # DEST defaults to .device-wheels (git-ignored)
# On the GPU machine the report installs them (pip --no-index --no-deps --target, torch untouched):
#   python3 tools/analysis_tools/gpu_report.py --wheels .device-wheels --out OUT \
#       --rs-root .device-wheels/data/aid --natural-root .device-wheels/data/imagenet_sample/train
set -euo pipefail
DEST=.device-wheels
DATA=0
for arg in "$@"; do
  case $arg in
    --data) DATA=1 ;;
    -*) echo "device_wheels.sh: unknown option $arg (use [DEST] [--data])" >&2; exit 2 ;;
    *) DEST=$arg ;;
  esac
done
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$DEST"
# Exact versions: the OpenMMLab pins of requirements/ and the rest of requirements/constraints.txt.
"$PY" -m pip download -q --dest "$DEST" --no-deps --only-binary=:all: \
  --python-version 3.12 --implementation cp --abi cp312 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform any \
  mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0 \
  addict==2.4.0 yapf==0.43.0 platformdirs==4.14.5 termcolor==3.3.0 \
  mat4py==0.6.0 modelindex==0.0.2 model-index==0.1.11 ordered-set==4.1.0 \
  Markdown==3.11.3 click==8.5.1 importlib_metadata==10.2.0 zipp==4.1.2 lazy-importer==0.1.0 \
  "setuptools>=77,<81" tifffile==2026.3.3
# mmgersp itself, built from a copy of the working tree (the build writes into its source folder).
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git ls-files -co --exclude-standard -z | tar -c --null -T - -f - | tar -x -C "$src"
"$PY" -m pip wheel -q --no-deps --no-build-isolation --wheel-dir "$DEST" "$src"
if [ "$DATA" = 1 ]; then
  # The shared sample images the loader benchmark reads (../shared does not travel to the device).
  mkdir -p "$DEST/data"
  cp -r ../shared/data/aid ../shared/data/imagenet_sample "$DEST/data/"
fi
ls "$DEST"
du -sh "$DEST"
