/*
 * multibase.h — base32/36/58/64 codecs and multibase prefixes (API in
 * ceramic.h).
 */
#ifndef CER_MULTIBASE_H
#define CER_MULTIBASE_H

#include "ceramic.h"

#endif
