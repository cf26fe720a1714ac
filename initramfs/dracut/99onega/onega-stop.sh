#!/bin/sh
# dracut cleanup hook: stop the early-boot onega before switch_root, so the
# real system's agent can open the virtio-serial ports (one opener each).
PIDFILE=/run/onega/initramfs.pid
if [ -f "$PIDFILE" ] && read -r pid < "$PIDFILE" && [ -n "$pid" ]; then
    kill -TERM "$pid" 2> /dev/null
    n=0
    while kill -0 "$pid" 2> /dev/null && [ $n -lt 30 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    kill -KILL "$pid" 2> /dev/null
    rm -f "$PIDFILE"
fi
