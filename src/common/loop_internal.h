/* Internal: access to the GMainContext behind a tl_loop, for modules that
 * integrate GLib-based libraries (libnice) or add their own sources. */
#ifndef TL_LOOP_INTERNAL_H
#define TL_LOOP_INTERNAL_H

#include <glib.h>

#include "tallow/loop.h"

GMainContext *tl_loop_gcontext(const tl_loop *loop);
const tl_logger *tl_loop_logger(const tl_loop *loop);

#endif
