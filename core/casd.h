/*
 * casd.h — internals of the anchor service daemon (casd.c) shared with
 * tests and fuzz targets: its HTTP handler, callable without sockets.
 */
#ifndef CER_CASD_H
#define CER_CASD_H

#include "ceramic.h"
#include "httpd.h"

/* Answer one request as the server would (CER_HTTPD_WAIT for a long poll
 * that has to wait; resp->body caller frees). */
int cer_casd_handle(cer_casd *d, const cer_http_req *hq, cer_http_resp *resp);

#endif
