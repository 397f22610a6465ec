/* ebpf-filter.bpf.c: an eBPF socket filter for test-filter, built with
 * clang -target bpf when available: keeps UDP datagrams to port 5000. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC ("socket")
int
keep_udp_5000 (struct __sk_buff *skb)
{
  __u16 proto, dport;
  __u8 ip_proto;

  if (bpf_skb_load_bytes (skb, 12, &proto, sizeof proto) < 0 || proto != bpf_htons (ETH_P_IP))
    return 0;
  if (bpf_skb_load_bytes (skb, 23, &ip_proto, 1) < 0 || ip_proto != IPPROTO_UDP)
    return 0;
  if (bpf_skb_load_bytes (skb, 36, &dport, sizeof dport) < 0 || dport != bpf_htons (5000))
    return 0;
  return skb->len;
}

char LICENSE[] SEC ("license") = "GPL";
