#!/bin/sh
# Screenshots of the dashboard for the README, from the real binary on the demo config:
# tmux (capture-pane -e keeps the colours) -> aha (ANSI to HTML) -> headless Chromium (PNG).
# Needs tmux, aha and chromium (Debian: apt-get install tmux aha chromium).
# Usage: scripts/screenshots.sh [path/to/scatter]   (default target/release/scatter)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-target/release/scatter}
out=assets
work=$(mktemp -d)
sock="scatter-shots-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

# Runs the binary in a 140x45 pane with the given arguments, waits, sends keys, captures.
# shot NAME WAIT_SECONDS "ARGS" [KEYS...]
shot() {
    name=$1 wait=$2 args=$3
    shift 3
    tmux -L "$sock" kill-server 2>/dev/null || true
    sleep 0.5
    tmux -L "$sock" new-session -d -s s -x 140 -y 45 \
        "TERM=xterm-256color $bin $args --log-file $work/log; sleep 60"
    sleep "$wait"
    for key in "$@"; do
        tmux -L "$sock" send-keys -t s "$key"
        sleep 0.2
    done
    sleep 0.3
    tmux -L "$sock" capture-pane -e -p -t s > "$work/$name.ans"
    tmux -L "$sock" send-keys -t s q
    render "$name"
}

# ANSI -> HTML with a dark palette and a monospace font -> PNG.
render() {
    name=$1
    {
        printf '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        printf 'body{margin:0;background:#1b1d23;}'
        printf 'pre{margin:0;padding:14px 16px;color:#d8dee9;'
        printf 'font:15px/1.22 "DejaVu Sans Mono",monospace;}'
        printf 'span{filter:none!important}</style></head><body><pre>'
        aha --no-header < "$work/$name.ans" | sed \
            -e 's/color:lime;/color:#a3d977;/g' \
            -e 's/color:aqua;/color:#7fd3e6;/g' \
            -e 's/color:dimgray;/color:#6b7385;/g' \
            -e 's/color:red;/color:#f07178;/g' \
            -e 's/color:yellow;/color:#ffcb6b;/g' \
            -e 's/color:fuchsia;/color:#c792ea;/g' \
            -e 's/color:olive;/color:#ffcb6b;/g' \
            -e 's/color:green;/color:#a3d977;/g' \
            -e 's/color:teal;/color:#7fd3e6;/g' \
            -e 's/color:purple;/color:#c792ea;/g' \
            -e 's/color:maroon;/color:#f07178;/g' \
            -e 's/color:blue;/color:#82aaff;/g'
        printf '</pre></body></html>'
    } > "$work/$name.html"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d)" --hide-scrollbars \
        --screenshot="$out/$name.png" --window-size=1300,858 \
        "file://$work/$name.html" 2>/dev/null
    echo "wrote $out/$name.png"
}

# A fleet of 1,000 sim sources in three regions: latencies of 5 to 900 ms, a tail of slow
# ones, a few that fail and a few that hang past a 1.5 s timeout.
fleet() {
    printf 'query = "SELECT id, price FROM orders"\n'
    printf '[gather]\ntimeout = "30s"\nconcurrency = 100\n[merge]\nsort = ["-price"]\n'
    i=0
    while [ $i -lt 1000 ]; do
        case $((i % 3)) in 0) r=eu ;; 1) r=us ;; *) r=ap ;; esac
        printf '[[source]]\nname = "shard-%s-%04d"\nkind = "sim"\ntags = ["%s"]\nrows = 3\nseed = %d\n' \
            "$r" "$i" "$r" "$i"
        if [ $((i % 97)) -eq 13 ]; then
            printf 'error = "connection refused"\nlatency = "5ms..40ms"\n'
        elif [ $((i % 151)) -eq 7 ]; then
            printf 'hang = true\ntimeout = "1500ms"\n'
        elif [ $((i % 61)) -eq 5 ]; then
            printf 'latency = "1s..1200ms"\n'
        else
            printf 'latency = "5ms..900ms"\n'
        fi
        i=$((i + 1))
    done
}
fleet > "$work/fleet.toml"

# The demo after its first run, the failing redis source selected for its details.
shot dashboard 4 "-c sources.toml" Tab j j j j j Tab
# Watch mode after a few runs: sparklines, p50/p95, changed rows marked.
shot dashboard-watch 17 "-c sources.toml --watch 2s" Tab j j j j j j Tab
# The 1,000-source fleet after its run: sources sorted by latency (slowest first) and the
# latency distribution across them.
shot dashboard-fleet 9 "-c $work/fleet.toml" o v Tab
