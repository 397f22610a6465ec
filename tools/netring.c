/* netring.c: the `netring` command-line program, dispatch to the commands
 *
 *   netring capture   packets as tcpdump prints them, or into pcap/pcapng files
 *   netring inject    frames from a file (replay) or generated, out of an interface
 *   netring bridge    frames between two interfaces, with an optional filter
 *   netring info      what the kernel says about an interface
 *   netring stats     capture statistics every interval
 *   netring testnet   a private network namespace with a veth pair
 *   netring demo      frames through a private veth pair, checked byte for byte
 *
 * Each command is in cmd-<name>.c; what they share is in netring-tool.c.
 * Everything runs in a GMainLoop on the default main context; SIGINT and
 * SIGTERM cancel a GCancellable so every command ends through the same path
 * and prints its summary.
 */
#include "config.h"

#include "netring-tool.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *description;
} Command;

static const Command commands[] = {
  { "capture", tool_cmd_capture, N_("Capture packets: print them as tcpdump does, or write pcap/pcapng files") },
  { "inject", tool_cmd_inject, N_("Send frames from a pcap/pcapng file or generated ones") },
  { "bridge", tool_cmd_bridge, N_("Forward frames between two interfaces") },
  { "info", tool_cmd_info, N_("Show what the kernel says about an interface") },
  { "stats", tool_cmd_stats, N_("Print capture rates and totals every interval") },
  { "testnet", tool_cmd_testnet, N_("Create a private network namespace with a veth pair") },
  { "demo", tool_cmd_demo, N_("Send frames through a private veth pair and check them") },
};

static void
print_usage (FILE *out)
{
  gsize i;

  fprintf (out, _("Usage: netring COMMAND [OPTION…]\n\n"
                  "Zero-copy packet capture and injection (netring %s).\n\n"
                  "Commands:\n"), NETRING_VERSION_STRING);
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].description));
  fprintf (out, _("\nRun “netring COMMAND --help” for the options of a command.\n"
                  "See netring(1) for every command and option.\n"));
}

int
main (int argc, char **argv)
{
  gsize i;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return TOOL_EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return EXIT_SUCCESS;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("netring %s\n", NETRING_VERSION_STRING);
      return EXIT_SUCCESS;
    }

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        {
          g_autofree gchar *prgname = g_strdup_printf ("netring %s", commands[i].name);

          /* "netring capture --help" should say so in its usage line */
          g_set_prgname (prgname);
          return commands[i].run (argc - 1, argv + 1);
        }
    }

  g_printerr (_("netring: unknown command “%s”\n\n"), argv[1]);
  print_usage (stderr);
  return TOOL_EXIT_USAGE;
}
