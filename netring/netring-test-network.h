/* netring-test-network.h: NetringTestNetwork, a private network with a veth pair for tests */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netring/netring-version-macros.h>

G_BEGIN_DECLS

/**
 * NETRING_TYPE_TEST_NETWORK:
 *
 * The #GType of #NetringTestNetwork.
 */
#define NETRING_TYPE_TEST_NETWORK (netring_test_network_get_type ())

/**
 * NetringTestNetwork:
 *
 * A private network namespace with a veth pair; all fields are private.
 */
NETRING_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NetringTestNetwork, netring_test_network, NETRING, TEST_NETWORK, GObject)

NETRING_AVAILABLE_IN_ALL
NetringTestNetwork *netring_test_network_new (GError **error);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_test_network_get_interface_a (NetringTestNetwork *self);
NETRING_AVAILABLE_IN_ALL
const gchar *netring_test_network_get_interface_b (NetringTestNetwork *self);
NETRING_AVAILABLE_IN_ALL
gboolean netring_test_network_close (NetringTestNetwork *self, GError **error);

G_END_DECLS
