/* netring-version-macros.h: symbol visibility and availability macros */
#pragma once

#if !defined(__NETRING_INSIDE__) && !defined(NETRING_COMPILATION)
#error "Only <netring/netring.h> can be included directly."
#endif

#include <glib.h>

#if defined(NETRING_COMPILATION) && defined(__GNUC__)
#define _NETRING_EXTERN __attribute__ ((visibility ("default"))) extern
#else
#define _NETRING_EXTERN extern
#endif

/* Every public declaration carries one of these, so that the library can be
 * built with hidden visibility and export exactly its documented API. */
#define NETRING_AVAILABLE_IN_ALL _NETRING_EXTERN
#define NETRING_AVAILABLE_IN_1_0 _NETRING_EXTERN
