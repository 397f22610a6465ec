/* cmd-info.c: `netring info IFACE`, what the kernel says about an interface
 * (NetringInterfaceInfo), with what is unknown said to be unknown. */
#include "config.h"

#include "netring-tool.h"

#include <stdlib.h>

int
tool_cmd_info (int argc, char **argv)
{
  g_autofree gchar *interface = NULL;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("Network interface to describe (or give it as the argument)"), N_("IFACE") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("[IFACE]"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NetringInterfaceInfo) info = NULL;
  g_autofree gchar *flags = NULL;
  g_autofree gchar *speed = NULL;
  const gchar *driver, *kind, *address;
  guint xdp_id;

  g_option_context_set_summary (context, _("Show the interface's MTU, flags, state, speed, "
                                           "driver, address, queues, XDP program and the "
                                           "ring profile suggested for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!tool_parse_options (context, &argc, &argv))
    return TOOL_EXIT_USAGE;
  if (interface == NULL && argc > 1)
    interface = g_strdup (argv[1]);
  else if (argc > 1)
    return tool_usage_error (_("unexpected argument “%s”"), argv[1]);
  if (interface == NULL)
    return tool_usage_error (_("an interface is required"));
  if (argc > 2)
    return tool_usage_error (_("unexpected argument “%s”"), argv[2]);

  info = netring_interface_info_new (interface, &error);
  if (info == NULL)
    {
      tool_print_error (interface, error);
      return tool_exit_status_for (error);
    }

  flags = tool_flags_to_string (NETRING_TYPE_INTERFACE_FLAGS, netring_interface_info_get_flags (info));
  if (netring_interface_info_get_speed (info) == NETRING_INTERFACE_SPEED_UNKNOWN)
    speed = g_strdup (_("unknown"));
  else
    speed = g_strdup_printf (_("%d Mb/s"), netring_interface_info_get_speed (info));
  driver = netring_interface_info_get_driver (info);
  kind = netring_interface_info_get_kind (info);
  address = netring_interface_info_get_address_string (info);
  xdp_id = netring_interface_info_get_xdp_program_id (info);

  /* TRANSLATORS: the labels of `netring info`, padded to one width */
  g_print (_("Interface:          %s (index %d)\n"), netring_interface_info_get_name (info),
           netring_interface_info_get_index (info));
  g_print (_("MTU:                %u\n"), netring_interface_info_get_mtu (info));
  g_print (_("Flags:              %s\n"), flags);
  g_print (_("State:              %s, %s\n"),
           tool_enum_nick (NETRING_TYPE_OPER_STATE, netring_interface_info_get_oper_state (info)),
           netring_interface_info_get_carrier (info) ? _("carrier") : _("no carrier"));
  g_print (_("Speed:              %s\n"), speed);
  g_print (_("Duplex:             %s\n"),
           tool_enum_nick (NETRING_TYPE_DUPLEX, netring_interface_info_get_duplex (info)));
  g_print (_("Driver:             %s\n"), driver != NULL ? driver : _("unknown"));
  if (kind != NULL)
    g_print (_("Kind:               %s\n"), kind);
  g_print (_("Address:            %s\n"), address != NULL ? address : _("none"));
  g_print (_("Link type:          %d\n"), netring_interface_info_get_link_type (info));
  g_print (_("Queues:             %u RX, %u TX\n"), netring_interface_info_get_rx_queues (info),
           netring_interface_info_get_tx_queues (info));
  if (xdp_id != 0)
    g_print (_("XDP program:        id %u (%s)\n"), xdp_id,
             tool_enum_nick (NETRING_TYPE_INTERFACE_XDP_MODE,
                             netring_interface_info_get_xdp_mode (info)));
  else
    g_print (_("XDP program:        none\n"));
  g_print (_("Suggested profile:  %s, %u fanout threads\n"),
           tool_enum_nick (NETRING_TYPE_RING_PROFILE, netring_interface_info_suggest_profile (info)),
           netring_interface_info_suggest_fanout_threads (info));
  return EXIT_SUCCESS;
}
