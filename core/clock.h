/*
 * clock.h — the clocks of the node: milliseconds on the wall clock
 * (times that are shown or stored) or the monotonic clock (timeouts and
 * backoff), and absolute deadlines for pthread_cond_timedwait.
 */
#ifndef CER_CLOCK_H
#define CER_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since the clock's epoch: CLOCK_REALTIME (the Unix epoch)
 * or CLOCK_MONOTONIC. */
int64_t cer_clock_ms(clockid_t clk);

/* Fills *ts with the time ms milliseconds from now on clk, the absolute
 * form a timed wait on a condition variable of that clock takes (a
 * condition variable's clock is CLOCK_REALTIME unless set otherwise). */
void cer_clock_deadline(struct timespec *ts, clockid_t clk, int64_t ms);

#endif
