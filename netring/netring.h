/* netring.h: the only header users include */
#pragma once

#define __NETRING_INSIDE__

#include <netring/netring-version-macros.h>
#include <netring/netring-version.h>
#include <netring/netring-enums.h>
#include <netring/netring-error.h>
#include <netring/netring-stats.h>
#include <netring/netring-batch.h>
#include <netring/netring-packet.h>
#include <netring/netring-receiver.h>
#include <netring/netring-bpf-program.h>
#include <netring/netring-capture.h>
#include <netring/netring-sender.h>
#include <netring/netring-injector.h>
#include <netring/netring-fanout-group.h>
#include <netring/netring-interface-info.h>
#include <netring/netring-pcap-writer.h>
#include <netring/netring-xdp-socket.h>
#include <netring/netring-metrics.h>
#include <netring/netring-test-network.h>
#include <netring/netring-pcap-reader.h>
#include <netring/netring-pcap-replay.h>
#include <netring/netring-bridge.h>
#include <netring/netring-helper.h>
#include <netring/netring-enum-types.h>

#undef __NETRING_INSIDE__
