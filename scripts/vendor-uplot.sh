#!/usr/bin/env bash
# Refresh the vendored uPlot (the run page's step charts): bash scripts/vendor-uplot.sh 1.6.32
set -euo pipefail
version="$1"; dir="$(mktemp -d)"; vendor="$(dirname "$0")/../static/vendor"
(cd "$dir" && npm pack --silent "uplot@$version" >/dev/null && tar xzf ./*.tgz)
rm -f "$vendor"/uPlot-*.iife.min.js "$vendor"/uPlot-*.min.css
cp "$dir/package/dist/uPlot.iife.min.js" "$vendor/uPlot-$version.iife.min.js"
cp "$dir/package/dist/uPlot.min.css" "$vendor/uPlot-$version.min.css"
cp "$dir/package/LICENSE" "$vendor/uPlot-LICENSE"
rm -rf "$dir"
