/* SPDX-License-Identifier: GPL-2.0 */
/* The OPC UA channel's two ends (docs/opcua.md). */
#ifndef DIODE_AGENT_OPCUA_H
#define DIODE_AGENT_OPCUA_H

#include "chan.h"

extern const struct chan_proto opcua_tx_proto, opcua_rx_proto;

#endif
