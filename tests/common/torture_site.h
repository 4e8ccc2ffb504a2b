/*
 * Where an injected allocation failure happened, for the torture runs
 * (session_cases torture, PDM_TORTURE=1 of cu_main.c).  A run whose
 * failure was "absorbed" (the test still passed although an allocation
 * failed) either hit an optional cache or lost something quietly; the
 * tally names each such allocation site so that the classes can be
 * checked one by one.
 *
 * torture_site_arm() installs the core's failure hook (pdm__alloc_fail_hook),
 * which records the call stack of each failed allocation (and prints it
 * when @print is true).  torture_site_absorbed() counts the last recorded
 * site as absorbed; torture_site_report() prints the tally, most frequent
 * first, and returns the number of distinct sites.  A program without the
 * core (no hook) records nothing.
 */
#ifndef PDM_TEST_TORTURE_SITE_H
#define PDM_TEST_TORTURE_SITE_H

#include <stdbool.h>
#include <stddef.h>

void torture_site_arm(bool print);
void torture_site_disarm(void);
/* Forgets the recorded stack (call before each run). */
void torture_site_clear(void);
/* Was an allocation failed since the last torture_site_clear? */
bool torture_site_hit(void);
void torture_site_absorbed(const char *example);
size_t torture_site_report(void);

#endif
