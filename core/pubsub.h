/*
 * pubsub.h — Ceramic pubsub messages (API in ceramic.h).
 */
#ifndef CER_PUBSUB_H
#define CER_PUBSUB_H

#include "ceramic.h"

/* Most tips accepted in one RESPONSE. */
#define CER_MSG_TIPS_MAX 1024

#endif
