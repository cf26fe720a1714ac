#!/bin/sh
# dracut pre-udev hook: start onega for early boot (onega.initramfs=0: off).
type getargbool > /dev/null 2>&1 || . /lib/dracut-lib.sh
getargbool 1 onega.initramfs || return 0
modprobe -q virtio_console
mkdir -p /run/onega
/sbin/onega -d -t /run/onega -f /run/onega/initramfs.pid \
    -l /run/onega/initramfs.log || warn "onega: could not start"
