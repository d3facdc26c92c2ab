/*
 * store.h — the block store interface (API in ceramic.h) and its backends.
 */
#ifndef CER_STORE_H
#define CER_STORE_H

#include "ceramic.h"

#endif
