#!/usr/bin/env bash
# Install everything CivicLoop needs, from nothing: system packages (when missing and we are
# root), the Python virtualenv, and the front-end assets from the npm registry.
#   scripts/bootstrap.sh          runtime only
#   scripts/bootstrap.sh --dev    plus test tools and headless Chromium
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

need_apt=()
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "$DEV" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  fc-list 2>/dev/null | grep -qi "noto.*cjk" || need_apt+=(fonts-noto-cjk)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing system packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "缺少系统软件包：${need_apt[*]}，请用管理员权限安装（sudo apt-get install ${need_apt[*]}）。" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$DEV" = 1 ]; then
  .venv/bin/pip install -q -e '.[dev]'
else
  .venv/bin/pip install -q -e .
fi

if [ ! -f static/vendor/.stamp ] || [ package.json -nt static/vendor/.stamp ] || [ package-lock.json -nt static/vendor/.stamp ]; then
  echo "==> installing front-end assets from the npm registry"
  npm ci --no-audit --no-fund --loglevel=error
  .venv/bin/python scripts/vendor_assets.py
  touch static/vendor/.stamp
fi
