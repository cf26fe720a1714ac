/*
 * uinput.c: the absolute tablet for SPICE client-mouse mode, the device
 * spice-vdagentd's uinput.c makes ("spice vdagent tablet": five buttons, a
 * wheel, ABS_X/ABS_Y over the whole desktop), created with UI_DEV_SETUP and
 * UI_ABS_SETUP (kernel 4.5+).  Writes to /dev/uinput do not block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/input.h>
#include <linux/uinput.h>

#include "uinput.h"

#define UINPUT_NAME	"spice vdagent tablet"	/* vdagentd's, for udev rules */

static int	ufd = -1;
static uint32_t	uw, uh;			/* desktop size of the device */
static uint32_t	last_x = UINT32_MAX, last_y = UINT32_MAX, last_b;

static const struct {
	uint32_t	mask;
	int		code;
} btns[] = {
	{ UINPUT_BTN_LEFT, BTN_LEFT },
	{ UINPUT_BTN_MIDDLE, BTN_MIDDLE },
	{ UINPUT_BTN_RIGHT, BTN_RIGHT },
	{ UINPUT_BTN_SIDE, BTN_SIDE },
	{ UINPUT_BTN_EXTRA, BTN_EXTRA },
};

int
uinput_ready(void)
{
	return ufd != -1;
}

void
uinput_close(void)
{
	if (ufd != -1) {
		(void)ioctl(ufd, UI_DEV_DESTROY);
		close(ufd);
		ufd = -1;
	}
	uw = uh = 0;
}

static int
abs_setup(int fd, int code, uint32_t max)
{
	struct uinput_abs_setup a;

	memset(&a, 0, sizeof(a));
	a.code = code;
	a.absinfo.minimum = 0;
	a.absinfo.maximum = max > 0 ? (int)(max - 1) : 0;
	return ioctl(fd, UI_ABS_SETUP, &a);
}

int
uinput_setup(uint32_t width, uint32_t height, struct verr *e)
{
	struct uinput_setup us;
	size_t i;
	int fd;

	if (width == 0 || height == 0 || width > 65536 || height > 65536) {
		return verr_set(e, EINVAL, "bad desktop size %ux%u", width,
		    height);
	}
	if (ufd != -1 && width == uw && height == uh) {
		return 0;
	}
	uinput_close();
	fd = open(vpath("/dev/uinput"), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		return verr_set(e, errno, "open /dev/uinput");
	}
	memset(&us, 0, sizeof(us));
	us.id.bustype = BUS_VIRTUAL;
	us.id.vendor = 0x1af4;		/* Red Hat, as virtio devices */
	us.id.product = 0x0001;
	snprintf(us.name, sizeof(us.name), "%s", UINPUT_NAME);
	if (ioctl(fd, UI_SET_EVBIT, EV_KEY) == -1) {
		goto fail;
	}
	for (i = 0; i < nitems(btns); i++) {
		if (ioctl(fd, UI_SET_KEYBIT, btns[i].code) == -1) {
			goto fail;
		}
	}
	if (ioctl(fd, UI_SET_EVBIT, EV_REL) == -1 ||
	    ioctl(fd, UI_SET_RELBIT, REL_WHEEL) == -1 ||
	    ioctl(fd, UI_SET_EVBIT, EV_ABS) == -1 ||
	    ioctl(fd, UI_SET_ABSBIT, ABS_X) == -1 ||
	    ioctl(fd, UI_SET_ABSBIT, ABS_Y) == -1 ||
	    ioctl(fd, UI_SET_PROPBIT, INPUT_PROP_DIRECT) == -1 ||
	    abs_setup(fd, ABS_X, width) == -1 ||
	    abs_setup(fd, ABS_Y, height) == -1 ||
	    ioctl(fd, UI_DEV_SETUP, &us) == -1 ||
	    ioctl(fd, UI_DEV_CREATE) == -1) {
		goto fail;
	}
	ufd = fd;
	uw = width;
	uh = height;
	last_x = last_y = UINT32_MAX;
	last_b = 0;
	return 0;
fail:
	verr_set(e, errno, "uinput setup");
	close(fd);
	return -1;
}

static int
put(struct input_event *ev, int *n, int type, int code, int value)
{
	memset(&ev[*n], 0, sizeof(ev[*n]));
	ev[*n].type = type;
	ev[*n].code = code;
	ev[*n].value = value;
	(*n)++;
	return 0;
}

int
uinput_event(uint32_t x, uint32_t y, uint32_t buttons, struct verr *e)
{
	struct input_event ev[12];
	uint32_t rise = buttons & ~last_b;
	size_t i;
	int n = 0;

	if (ufd == -1) {
		return verr_set(e, ENODEV, "no uinput tablet");
	}
	x = x < uw ? x : uw - 1;
	y = y < uh ? y : uh - 1;
	if (x != last_x) {
		put(ev, &n, EV_ABS, ABS_X, (int)x);
	}
	if (y != last_y) {
		put(ev, &n, EV_ABS, ABS_Y, (int)y);
	}
	for (i = 0; i < nitems(btns); i++) {
		if ((buttons ^ last_b) & btns[i].mask) {
			put(ev, &n, EV_KEY, btns[i].code,
			    (buttons & btns[i].mask) != 0);
		}
	}
	/* The wheel is a button in SPICE: one notch per rising edge. */
	if (rise & UINPUT_WHEEL_UP) {
		put(ev, &n, EV_REL, REL_WHEEL, 1);
	}
	if (rise & UINPUT_WHEEL_DOWN) {
		put(ev, &n, EV_REL, REL_WHEEL, -1);
	}
	put(ev, &n, EV_SYN, SYN_REPORT, 0);
	last_x = x;
	last_y = y;
	last_b = buttons;
	if (write(ufd, ev, sizeof(ev[0]) * (size_t)n) == -1) {
		return verr_set(e, errno, "uinput write");
	}
	return 0;
}
