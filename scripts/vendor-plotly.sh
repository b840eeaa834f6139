#!/usr/bin/env bash
# Refresh the vendored Plotly.js cartesian bundle: bash scripts/vendor-plotly.sh 4.1.1
set -euo pipefail
version="$1"; dir="$(mktemp -d)"; vendor="$(dirname "$0")/../static/vendor"
(cd "$dir" && npm pack --silent "plotly.js-cartesian-dist-min@$version" >/dev/null && tar xzf ./*.tgz)
rm -f "$vendor"/plotly-cartesian-*.min.js
cp "$dir/package/plotly-cartesian.min.js" "$vendor/plotly-cartesian-$version.min.js"
cp "$dir/package/LICENSE" "$vendor/plotly.js-LICENSE"
rm -rf "$dir"
