/*
 * uinput.h: the absolute pointer the SPICE mouse drives (spice.md 8).  Once
 * the agent opens the SPICE port the server sends every pointer event to it,
 * so without this tablet the guest has no mouse.  Coordinates are desktop
 * pixels; the device's range is the whole desktop and is recreated when the
 * desktop size changes.
 */
#ifndef VERBS_UINPUT_H
#define VERBS_UINPUT_H

#include <stdint.h>
#include "verbs.h"

#define UINPUT_BTN_LEFT		0x02	/* VD_AGENT_LBUTTON_MASK */
#define UINPUT_BTN_MIDDLE	0x04
#define UINPUT_BTN_RIGHT	0x08
#define UINPUT_WHEEL_UP		0x10
#define UINPUT_WHEEL_DOWN	0x20
#define UINPUT_BTN_SIDE		0x40
#define UINPUT_BTN_EXTRA	0x80

/* Create (or resize) the tablet: 0, or -1 with *e (no /dev/uinput...). */
int	uinput_setup(uint32_t width, uint32_t height, struct verr *);
/* Move to (x, y) with this button mask (the bits above). */
int	uinput_event(uint32_t x, uint32_t y, uint32_t buttons, struct verr *);
void	uinput_close(void);
int	uinput_ready(void);

#endif
