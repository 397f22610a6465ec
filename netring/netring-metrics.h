/* netring-metrics.h: NetringMetrics, the counters of netring objects in the
 * Prometheus text format */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_METRICS:
 *
 * The #GType of #NetringMetrics.
 */
#define NETRING_TYPE_METRICS (netring_metrics_get_type ())

/**
 * NetringMetrics:
 *
 * A collector of the counters of netring objects. All its fields are
 * private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringMetrics, netring_metrics, NETRING, METRICS, GObject)

NETRING_AVAILABLE_IN_ALL
NetringMetrics *netring_metrics_new (void);

NETRING_AVAILABLE_IN_ALL
gboolean netring_metrics_supports (GObject *object);
NETRING_AVAILABLE_IN_ALL
void netring_metrics_add (NetringMetrics *self, GObject *object, const gchar *instance);
NETRING_AVAILABLE_IN_ALL
void netring_metrics_remove (NetringMetrics *self, GObject *object);
NETRING_AVAILABLE_IN_ALL
guint netring_metrics_get_n_objects (NetringMetrics *self);

NETRING_AVAILABLE_IN_ALL
gchar *netring_metrics_render (NetringMetrics *self);

NETRING_AVAILABLE_IN_ALL
gboolean netring_metrics_add_handler (NetringMetrics *self,
                                      GObject        *server,
                                      const gchar    *path,
                                      GError        **error);
NETRING_AVAILABLE_IN_ALL
guint netring_metrics_serve (NetringMetrics *self,
                             const gchar    *address,
                             guint           port,
                             GError        **error);
NETRING_AVAILABLE_IN_ALL
void netring_metrics_stop_serving (NetringMetrics *self);

G_END_DECLS
