#!/bin/sh
# `make run`: the demo line. Starts the simulator (the pretend Twilio: its
# page and API on 127.0.0.1:8025) and the gateway (webhooks on 127.0.0.1:8080)
# with deploy/peerline.yaml and deploy/roster.yaml, and stops both on Ctrl-C.
# Data lives in var/ (git ignores it) and starts afresh on every run: the demo
# is for playing, not keeping. Ports: SIM_LISTEN=host:port to move the
# simulator; edit deploy/peerline.yaml (listen, public_url, api_base) to move
# the gateway.
set -u
BIN=${1:-build/peerline}
HERE=$(cd "$(dirname "$0")" && pwd)
CONFIG="$HERE/peerline.yaml"
SIM_LISTEN=${SIM_LISTEN:-127.0.0.1:8025}

mkdir -p "$HERE/../var"
rm -f "$HERE/../var/demo.db" "$HERE/../var/demo.db-wal" "$HERE/../var/demo.db-shm"
"$BIN" check -c "$CONFIG" || exit 1

"$BIN" sim -c "$CONFIG" --listen "$SIM_LISTEN" &
SIM=$!
"$BIN" serve -c "$CONFIG" &
GW=$!

stop() {
    kill -TERM "$GW" "$SIM" 2>/dev/null
    wait "$GW" "$SIM" 2>/dev/null
    echo "peerline demo stopped."
    exit 0
}
trap stop INT TERM

sleep 0.5
cat <<MSG

peerline demo is running.

  Play it in a browser:  http://$SIM_LISTEN
      (the texter's phone, each peer's and the coordinator's, side by side)
  dashboard:             http://127.0.0.1:8080/admin
      token: demo-sam-token-not-a-secret
  gateway (webhooks):    http://127.0.0.1:8080   (health: /healthz)

Start in the page: type "hi" in Texter 1's thread with the line. README.md
"A first conversation" walks through the rest. Ctrl-C stops both.

MSG
wait "$GW" "$SIM"
