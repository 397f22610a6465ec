/* capture-print.h: one line per packet, as tcpdump prints it */
#pragma once

#include "netring-tool.h"

G_BEGIN_DECLS

typedef struct {
  gboolean nanoseconds;   /* --time-stamp-precision=nano */
  gboolean link_header;   /* -e */
  gboolean quiet;         /* -q */
  gint hex;               /* 0, 1 (-x) or 2 (-X) */
  gboolean line_buffered; /* flush after every line (stdout not a terminal, -l) */
} CapturePrintOptions;

void capture_print_packet (const CapturePrintOptions *options,
                           const guint8              *data,
                           guint                      captured_length,
                           guint                      wire_length,
                           gint64                     timestamp_ns,
                           gint                       link_type);

G_END_DECLS
