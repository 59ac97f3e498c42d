/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scheduler's live patching safe points, under the name mainline
 * gives them: klp_sched_try_switch() and its static key are declared with
 * the other task hooks.
 */
#ifndef _LINUX_LIVEPATCH_SCHED_H_
#define _LINUX_LIVEPATCH_SCHED_H_

#include <linux/livepatch_task.h>

#endif /* _LINUX_LIVEPATCH_SCHED_H_ */
