#!/bin/bash
# dracut module: onega in the initramfs, so the guest answers qemu-ga, oVirt
# and SPICE during early boot.  Install this directory as
# /usr/lib/dracut/modules.d/99onega, then dracut -f (add_dracutmodules+=
# " onega " if it is not picked up).  With dracut's systemd module the agent
# is a service stopped before switch-root; otherwise a pre-udev hook starts
# it and a cleanup hook stops it.

# ONEGA_BIN names the binary if it lives elsewhere.
onega_bin() {
    local p
    for p in $ONEGA_BIN /usr/sbin/onega /usr/local/sbin/onega /usr/bin/onega /sbin/onega; do
        [[ -x $dracutsysrootdir$p ]] && { echo "$p"; return 0; }
    done
    return 1
}

# called by dracut
check() {
    onega_bin > /dev/null || return 1
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    hostonly='' instmods virtio_console virtio_pci virtio_mmio
}

# called by dracut
install() {
    local bin
    bin=$(onega_bin) || return 1
    inst_binary "$bin" /sbin/onega
    [[ -f $dracutsysrootdir/etc/qemu/qemu-ga.conf ]] && inst_simple /etc/qemu/qemu-ga.conf
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/onega-initrd.service" "$systemdsystemunitdir/onega-initrd.service"
        $SYSTEMCTL -q --root "$initdir" enable onega-initrd.service
    else
        inst_hook pre-udev 99 "$moddir/onega-start.sh"
        inst_hook cleanup 99 "$moddir/onega-stop.sh"
    fi
}
