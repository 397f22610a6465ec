/* capture-print.c: one line per packet, as tcpdump prints it
 *
 * A small dissector for what a tcpdump user looks at first: Ethernet
 * (-e), 802.1Q tags, ARP, IPv4 and IPv6 with TCP, UDP and ICMP; anything
 * else is named by its EtherType. -x and -X add a hex dump of the packet
 * from the network-layer header on, as tcpdump does.
 */
#include "config.h"

#include "capture-print.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
append_mac (GString *line, const guint8 *mac)
{
  g_string_append_printf (line, "%02x:%02x:%02x:%02x:%02x:%02x",
                          mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static const gchar *
ethertype_name (guint16 type)
{
  switch (type)
    {
    case 0x0800: return "IPv4";
    case 0x0806: return "ARP";
    case 0x86dd: return "IPv6";
    case 0x8100: return "802.1Q";
    case 0x88a8: return "802.1Q-QinQ";
    default: return "Unknown";
    }
}

static void
append_tcp (GString *line, const guint8 *p, gsize len, guint payload_total, gboolean quiet)
{
  static const struct { guint8 bit; gchar c; } flag_chars[] = {
    { 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' }, { 0x08, 'P' }, { 0x20, 'U' },
    { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
  };
  guint header, payload;
  gsize i;

  if (len < 20)
    {
      g_string_append (line, "[|tcp]");
      return;
    }
  header = (p[12] >> 4) * 4u;
  payload = payload_total > header ? payload_total - header : 0;
  if (quiet)
    {
      g_string_append_printf (line, "tcp %u", payload);
      return;
    }
  g_string_append (line, "Flags [");
  for (i = 0; i < G_N_ELEMENTS (flag_chars); i++)
    if (p[13] & flag_chars[i].bit)
      g_string_append_c (line, flag_chars[i].c);
  g_string_append_printf (line, "], seq %u", get32 (p + 4));
  if (p[13] & 0x10)
    g_string_append_printf (line, ", ack %u", get32 (p + 8));
  g_string_append_printf (line, ", win %u, length %u", get16 (p + 14), payload);
}

/* "src.port > dst.port: " then the transport summary */
static void
append_transport (GString *line, const gchar *src, const gchar *dst, guint8 proto,
                  const guint8 *p, gsize len, guint payload_total, gboolean quiet)
{
  if ((proto == 6 || proto == 17) && len >= 4)
    g_string_append_printf (line, "%s.%u > %s.%u: ", src, get16 (p), dst, get16 (p + 2));
  else
    g_string_append_printf (line, "%s > %s: ", src, dst);

  switch (proto)
    {
    case 6:
      append_tcp (line, p, len, payload_total, quiet);
      break;
    case 17:
      g_string_append_printf (line, "UDP, length %u", payload_total >= 8 ? payload_total - 8 : 0);
      break;
    case 1:
    case 58:
      if (len < 4)
        g_string_append (line, proto == 1 ? "ICMP" : "ICMP6");
      else if (proto == 1 && (p[0] == 8 || p[0] == 0) && len >= 8)
        g_string_append_printf (line, "ICMP echo %s, id %u, seq %u, length %u",
                                p[0] == 8 ? "request" : "reply", get16 (p + 4), get16 (p + 6),
                                payload_total);
      else if (proto == 58 && (p[0] == 128 || p[0] == 129) && len >= 8)
        g_string_append_printf (line, "ICMP6, echo %s, id %u, seq %u, length %u",
                                p[0] == 128 ? "request" : "reply", get16 (p + 4),
                                get16 (p + 6), payload_total);
      else
        g_string_append_printf (line, "%s type %u, code %u, length %u",
                                proto == 1 ? "ICMP" : "ICMP6", p[0], p[1], payload_total);
      break;
    default:
      g_string_append_printf (line, "ip-proto-%u %u", proto, payload_total);
    }
}

static void
append_ipv4 (GString *line, const guint8 *p, gsize len, gboolean quiet)
{
  gchar src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
  guint header, total;

  if (len < 20 || (p[0] >> 4) != 4)
    {
      g_string_append (line, "IP [|ip]");
      return;
    }
  header = (p[0] & 0x0f) * 4u;
  total = get16 (p + 2);
  inet_ntop (AF_INET, p + 12, src, sizeof src);
  inet_ntop (AF_INET, p + 16, dst, sizeof dst);
  g_string_append (line, "IP ");
  if (header > len || total < header)
    {
      g_string_append_printf (line, "%s > %s: [|ip]", src, dst);
      return;
    }
  /* a later fragment carries no transport header */
  if ((get16 (p + 6) & 0x1fff) != 0)
    {
      g_string_append_printf (line, "%s > %s: ip-proto-%u", src, dst, p[9]);
      return;
    }
  append_transport (line, src, dst, p[9], p + header, len - header, total - header, quiet);
}

static void
append_ipv6 (GString *line, const guint8 *p, gsize len, gboolean quiet)
{
  gchar src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

  if (len < 40)
    {
      g_string_append (line, "IP6 [|ip6]");
      return;
    }
  inet_ntop (AF_INET6, p + 8, src, sizeof src);
  inet_ntop (AF_INET6, p + 24, dst, sizeof dst);
  g_string_append (line, "IP6 ");
  append_transport (line, src, dst, p[6], p + 40, len - 40, get16 (p + 4), quiet);
}

static void
append_arp (GString *line, const guint8 *p, gsize len, guint wire_length)
{
  gchar spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];

  if (len < 28 || get16 (p) != 1 || get16 (p + 2) != 0x0800)
    {
      g_string_append_printf (line, "ARP, length %u", wire_length);
      return;
    }
  inet_ntop (AF_INET, p + 14, spa, sizeof spa);
  inet_ntop (AF_INET, p + 24, tpa, sizeof tpa);
  if (get16 (p + 6) == 1)
    g_string_append_printf (line, "ARP, Request who-has %s tell %s, length %u", tpa, spa,
                            wire_length);
  else if (get16 (p + 6) == 2)
    {
      g_string_append_printf (line, "ARP, Reply %s is-at ", spa);
      append_mac (line, p + 8);
      g_string_append_printf (line, ", length %u", wire_length);
    }
  else
    g_string_append_printf (line, "ARP, length %u", wire_length);
}

/* tcpdump's -x/-X: "\t0x0010:  4500 0054 …" 16 bytes a line, the ASCII
 * after with -X. */
static void
append_hex (GString *line, const guint8 *p, gsize len, gboolean ascii)
{
  gsize off, i;

  for (off = 0; off < len; off += 16)
    {
      gsize n = MIN (16, len - off);

      g_string_append_printf (line, "\n\t0x%04" G_GSIZE_MODIFIER "x:  ", off);
      for (i = 0; i < 16; i++)
        {
          if (i < n)
            g_string_append_printf (line, "%02x", p[off + i]);
          else if (ascii)
            g_string_append (line, "  ");
          if (i % 2 == 1 && (i < n || ascii))
            g_string_append_c (line, ' ');
        }
      if (ascii)
        {
          g_string_append_c (line, ' ');
          for (i = 0; i < n; i++)
            g_string_append_c (line, g_ascii_isprint (p[off + i]) ? (gchar) p[off + i] : '.');
        }
    }
}

void
capture_print_packet (const CapturePrintOptions *options,
                      const guint8              *data,
                      guint                      captured_length,
                      guint                      wire_length,
                      gint64                     timestamp_ns,
                      gint                       link_type)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree gchar *when = tool_format_time_of_day (timestamp_ns, options->nanoseconds);
  const guint8 *p = data;
  gsize len = captured_length;
  gsize network = 0;
  guint16 type;

  g_string_append_printf (line, "%s ", when);
  if (link_type != NETRING_LINK_TYPE_ETHERNET || len < 14)
    {
      g_string_append_printf (line, "link-type %d, length %u", link_type, wire_length);
      goto done;
    }
  type = get16 (p + 12);
  if (options->link_header)
    {
      append_mac (line, p + 6);
      g_string_append (line, " > ");
      append_mac (line, p);
      g_string_append_printf (line, ", ethertype %s (0x%04x), length %u: ",
                              ethertype_name (type), type, wire_length);
    }
  network = 14;
  while ((type == 0x8100 || type == 0x88a8) && len >= network + 4)
    {
      g_string_append_printf (line, "vlan %u, p %u, ", get16 (p + network) & 0x0fff,
                              p[network] >> 5);
      type = get16 (p + network + 2);
      network += 4;
    }
  switch (type)
    {
    case 0x0800:
      append_ipv4 (line, p + network, len - network, options->quiet);
      break;
    case 0x86dd:
      append_ipv6 (line, p + network, len - network, options->quiet);
      break;
    case 0x0806:
      append_arp (line, p + network, len - network, wire_length);
      break;
    default:
      if (!options->link_header)
        {
          append_mac (line, p + 6);
          g_string_append (line, " > ");
          append_mac (line, p);
          g_string_append_printf (line, ", ethertype %s (0x%04x), length %u",
                                  ethertype_name (type), type, wire_length);
        }
    }
done:
  if (options->hex > 0 && len > network)
    append_hex (line, p + network, len - network, options->hex > 1);
  g_string_append_c (line, '\n');
  fwrite (line->str, 1, line->len, stdout);
  if (options->line_buffered)
    fflush (stdout);
}
