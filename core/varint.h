/*
 * varint.h — multiformats unsigned varints (API in ceramic.h).
 */
#ifndef CER_VARINT_H
#define CER_VARINT_H

#include "ceramic.h"

#endif
