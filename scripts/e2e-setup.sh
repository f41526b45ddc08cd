#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) into .cache/code-server for the e2e
# test (test/e2e/vscode.test.ts). Idempotent: does nothing when the pinned version is installed.
#
# Needs the Debian packages libkrb5-dev (node-pty/kerberos build), ripgrep (stands in for the
# ripgrep binary @vscode/ripgrep would download) and chromium (the browser the test drives).
#
# Why the environment below: code-server@4.100.3 is the newest that runs on Node 20. Its install
# runs `npx node-gyp` in node-pty's postinstall (npm_config_yes=true, or a `yes=false` npmrc
# cancels it), builds native modules as root (--unsafe-perm) against the system Node headers
# (npm_config_nodedir=/usr), and @vscode/ripgrep fetches a release from GitHub unless the tarball
# is already in its cache folder under $TMPDIR: we place one there holding Debian's rg.
#
# Prints the code-server executable's path as its last line.
set -euo pipefail

VERSION=4.100.3
RIPGREP_CACHE_VERSION=1.15.11
RIPGREP_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${ARMML_CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
BIN="$PREFIX/node_modules/code-server/out/node/entry.js"
PKG="$PREFIX/node_modules/code-server/package.json"

installed_version() {
  [[ -f "$PKG" && -f "$BIN" && -f "$PREFIX/.complete" ]] || return 1
  node -p "require('$PKG').version"
}

if [[ "$(installed_version 2>/dev/null || true)" == "$VERSION" ]]; then
  echo "$PREFIX/node_modules/.bin/code-server"
  exit 0
fi

missing=()
for cmd in rg chromium; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
[[ -f /usr/include/gssapi/gssapi.h || -f /usr/include/krb5.h ]] || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  echo "e2e-setup: missing ${missing[*]}; install with: apt-get install -y libkrb5-dev ripgrep chromium" >&2
  exit 1
fi

arch="$(uname -m)"
if [[ "$arch" != x86_64 ]]; then
  # The tarball name below is x86-64's; other architectures would need their own name.
  echo "e2e-setup: only x86_64 is set up (this is $arch)" >&2
  exit 1
fi

tmp="${TMPDIR:-/tmp}"
cache="$tmp/vscode-ripgrep-cache-$RIPGREP_CACHE_VERSION"
if [[ ! -s "$cache/$RIPGREP_TARBALL" ]]; then
  mkdir -p "$cache"
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -czf "$cache/$RIPGREP_TARBALL" -C "$stage" rg
  rm -rf "$stage"
fi

rm -rf "$PREFIX"
mkdir -p "$PREFIX"
echo '{"name":"armml-e2e-code-server","private":true}' >"$PREFIX/package.json"
echo "e2e-setup: installing code-server@$VERSION into $PREFIX (about a minute)..." >&2
npm_config_yes=true npm_config_nodedir=/usr \
  npm install --prefix "$PREFIX" --unsafe-perm --no-audit --no-fund --loglevel=error \
  "code-server@$VERSION" >&2
[[ -f "$BIN" ]] || { echo "e2e-setup: code-server did not install ($BIN missing)" >&2; exit 1; }
touch "$PREFIX/.complete"
echo "$PREFIX/node_modules/.bin/code-server"
