/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_SHOW_H
#define _DIODECTL_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "device.h"
#include "parse.h"

void show_device_text(FILE *f, const struct device *dev);
void show_device_json(struct json_writer *j, const struct device *dev);

/*
 * `diodectl show DEV FIELD`: one value alone, as `set` takes it, for
 * scripts. Returns 0, or -1 with e saying why the device has no such value.
 */
int show_device_field(FILE *f, const struct device *dev, const char *field,
		      struct parse_error *e);
/* Whether FIELD is one that show_device_field() knows. */
bool show_field_known(const char *field);

#endif /* _DIODECTL_SHOW_H */
