// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl: the commands that change something: load, disable, unload,
 * force, and wait, which the others use for --wait.
 *
 * Each checks what the kernel would refuse first and says why in words
 * (the kernel's errno alone says little: EBUSY for "another transition
 * runs", EINVAL for "already disabled"), and otherwise passes the
 * kernel's own answer on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "klpctl.h"

#define POLL_MS		10
#define PROGRESS_MS	200
/* How long the core may take to let go of a disabled patch's module. */
#define UNLOAD_GRACE_S	10

struct opts {
	const char *arg;	/* the one positional argument */
	bool wait;
	bool yes;
	double timeout;		/* seconds; < 0: none */
};

/*
 * Parse [ARG] [--wait[=S]] [--timeout=S | --timeout S] [--yes], each
 * only where @allowed (a string of 'w', 't', 'y') says so.
 */
static int parse_opts(int argc, char **argv, const char *allowed,
		      bool need_arg, struct opts *o)
{
	const char *cmd = argv[0], *val;
	int i;

	memset(o, 0, sizeof(*o));
	o->timeout = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strchr(allowed, 'w') && !strncmp(a, "--wait", 6) &&
		    (!a[6] || a[6] == '=')) {
			o->wait = true;
			if (a[6] && parse_seconds(a + 7, &o->timeout))
				return -EINVAL;
		} else if (strchr(allowed, 't') && !strncmp(a, "--timeout", 9) &&
			   (!a[9] || a[9] == '=')) {
			val = a[9] ? a + 10 : argv[++i];
			if (!val) {
				err("--timeout needs a number of seconds");
				return -EINVAL;
			}
			if (parse_seconds(val, &o->timeout))
				return -EINVAL;
		} else if (strchr(allowed, 'y') && !strcmp(a, "--yes")) {
			o->yes = true;
		} else if (a[0] == '-') {
			err("'%s' has no option '%s'; see '%s help %s'", cmd, a,
			    progname, cmd);
			return -EINVAL;
		} else if (!o->arg) {
			o->arg = a;
		} else {
			err("'%s' takes one argument; see '%s help %s'", cmd,
			    progname, cmd);
			return -EINVAL;
		}
	}
	if (need_arg && !o->arg) {
		err("'%s' needs an argument; see '%s help %s'", cmd, progname,
		    cmd);
		return -EINVAL;
	}
	return 0;
}

/*
 * The start of every command here: its options, root, live patching,
 * and with @is_name the patch's name as a module name.  Return: EXIT_OK
 * to go on, or the exit status.
 */
static int begin(int argc, char **argv, const char *allowed, bool need_arg,
		 bool is_name, struct opts *o)
{
	if (parse_opts(argc, argv, allowed, need_arg, o))
		return EXIT_USAGE;
	if (opt_json) {
		err("--json is for status, blockers, functions and tasks");
		return EXIT_USAGE;
	}
	if (!need_root() || !need_livepatch())
		return EXIT_FAIL;
	if (is_name && o->arg)
		klp_module_name((char *)o->arg);
	return EXIT_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A patch's transition file: 1, 0, or -ENOENT once it is gone. */
static int patch_transition(const char *name)
{
	char buf[8];
	int ret;

	ret = klp_patch_file(name, "transition", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return !strcmp(buf, "1");
}

static bool patch_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), KLP_SYSFS "/%s", name);
	return stat(path, &sb) == 0;
}

/* The patch in transition, copied to @name; false when none is. */
static bool find_transition(char *name, size_t size)
{
	struct klp_patch_info *p;
	struct klp_state st;

	if (klp_read_state(&st))
		return false;
	p = klp_in_transition(&st);
	if (p)
		snprintf(name, size, "%s", p->name);
	klp_free_state(&st);
	return p;
}

static void progress(const char *name, double elapsed)
{
	struct task_counts tc;
	struct klp_state st;
	struct klp_patch_info *p;
	int left = -1;

	if (klp_read_state(&st))
		return;
	p = klp_find_patch(&st, name);
	if (p && p->transition && !klp_count_tasks(&tc))
		left = tc.universe[(p->enabled ? UNIVERSE_OLD : UNIVERSE_NEW) + 1];
	fprintf(stderr, "\r%s: %s", name, p ? direction(p) : "done");
	if (left >= 0)
		fprintf(stderr, ", %d task%s left", left, left == 1 ? "" : "s");
	fprintf(stderr, ", %.1f s\033[K", elapsed);
	klp_free_state(&st);
}

/*
 * Wait until the transition of @name ends (@name NULL: any transition),
 * and with @gone until @name's directory is gone too.  @timeout < 0: no
 * limit.  Return: EXIT_OK, or EXIT_TIMEOUT after printing the blockers.
 */
static int wait_for(const char *name, double timeout, bool gone)
{
	bool tty = isatty(STDERR_FILENO);
	double start = now(), last = 0, t;
	char busy[NAME_MAX + 1];
	int ret = EXIT_OK;
	bool expired;

	for (;;) {
		/* Once more after the time ran out: it may have ended meanwhile. */
		expired = timeout >= 0 && now() - start >= timeout;
		if (name) {
			snprintf(busy, sizeof(busy), "%s", name);
			if (gone ? !patch_exists(name) :
				   patch_transition(name) <= 0)
				break;
		} else if (!find_transition(busy, sizeof(busy))) {
			break;
		}
		if (expired) {
			ret = EXIT_TIMEOUT;
			break;
		}
		t = now() - start;
		if (tty && t - last >= PROGRESS_MS / 1000.0) {
			progress(busy, t);
			last = t;
		}
		sleep_ms(POLL_MS);
	}
	if (tty && last)
		fprintf(stderr, "\r\033[K");
	if (ret == EXIT_TIMEOUT) {
		if (!gone || patch_transition(busy) > 0) {
			err("%s: timed out after %.1f s, the transition is held by:",
			    busy, timeout);
			fflush(stderr);
			if (print_blockers(busy, false))
				err("(cannot read the blockers)");
		} else {
			err("%s: timed out after %.1f s waiting for its directory to go",
			    busy, timeout);
		}
	}
	return ret;
}

/* Refuse to start a transition while another one runs. */
static bool no_other_transition(const char *name)
{
	char busy[NAME_MAX + 1];

	if (!find_transition(busy, sizeof(busy)) || !strcmp(busy, name))
		return true;
	err("the patch %s is in transition, and only one runs at a time: see '%s wait'",
	    busy, progname);
	return false;
}

/* After a change: the outcome, and the wait if asked for. */
static int report(const char *name, const struct opts *o, bool gone)
{
	double start = now();
	char t[32];
	int ret;

	if (!o->wait) {
		if (patch_transition(name) > 0)
			printf("%s: transition started; '%s wait %s' waits for it\n",
			       name, progname, name);
		return EXIT_OK;
	}
	ret = wait_for(name, o->timeout, gone);
	if (ret == EXIT_OK) {
		snprintf(t, sizeof(t), "%.3f s", now() - start);
		printf("%s: transition complete (waited %s)\n", name, t);
	}
	return ret;
}

int cmd_load(int argc, char **argv)
{
	char name[NAME_MAX + 1];
	struct opts o;
	int fd, ret;

	ret = begin(argc, argv, "w", true, false, &o);
	if (ret)
		return ret;
	ret = klp_check_module_file(o.arg, name, sizeof(name));
	switch (ret) {
	case 0:
		break;
	case -ENOEXEC:
		err("%s: not a kernel module, or a compressed one (decompress it first)",
		    o.arg);
		return EXIT_FAIL;
	case -EMEDIUMTYPE:
		err("%s: a module, but not a live patch: load it with modprobe or insmod",
		    o.arg);
		return EXIT_FAIL;
	default:
		err("%s: %s", o.arg, strerror(-ret));
		return EXIT_FAIL;
	}
	if (patch_exists(name)) {
		err("%s: the patch %s is already loaded", o.arg, name);
		return EXIT_FAIL;
	}
	if (!no_other_transition(name))
		return EXIT_FAIL;

	fd = open(o.arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err("%s: %s", o.arg, strerror(errno));
		return EXIT_FAIL;
	}
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	if (ret) {
		switch (errno) {
		case EEXIST:
			err("%s: the module %s is already loaded", o.arg, name);
			break;
		case EBUSY:
			err("%s: refused, another transition runs: see '%s wait'",
			    o.arg, progname);
			break;
		default:
			err("%s: the kernel refused it: %s; the kernel log says why",
			    o.arg, strerror(errno));
		}
		return EXIT_FAIL;
	}
	printf("%s: loaded, patch enabled\n", name);
	return report(name, &o, false);
}

int cmd_disable(int argc, char **argv)
{
	struct klp_patch_info *p;
	struct klp_state st;
	char path[PATH_MAX];
	bool enabling;
	struct opts o;
	char *name;
	int ret;

	ret = begin(argc, argv, "w", true, true, &o);
	if (ret)
		return ret;
	name = (char *)o.arg;
	if (klp_read_state(&st)) {
		err("cannot read " KLP_SYSFS);
		return EXIT_FAIL;
	}
	p = klp_find_patch(&st, name);
	if (!p) {
		klp_free_state(&st);
		no_such_patch(name);
		return EXIT_FAIL;
	}
	enabling = p->enabled && p->transition;
	if (!p->enabled) {
		printf("%s: already %s\n", name,
		       p->transition ? "being disabled" : "disabled");
		klp_free_state(&st);
		return report(name, &o, false);
	}
	klp_free_state(&st);
	if (!no_other_transition(name))
		return EXIT_FAIL;

	snprintf(path, sizeof(path), KLP_SYSFS "/%s/enabled", name);
	ret = klp_write_file(path, "0");
	if (ret == -EBUSY) {
		err("%s: refused, another transition runs: see '%s wait'",
		    name, progname);
		return EXIT_FAIL;
	} else if (ret == -ENOENT || ret == -ENODEV) {
		err("%s: the patch went away meanwhile", name);
		return EXIT_FAIL;
	} else if (ret) {
		err("%s: cannot disable it: %s", name, strerror(-ret));
		return EXIT_FAIL;
	}
	printf("%s: %s\n", name, enabling ?
	       "the enable is being reversed" : "disabling");
	return report(name, &o, false);
}

/* Is the module @name a live patch?  Its taint says 'K'. */
static int module_is_livepatch(const char *name)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s/taint", name);
	ret = klp_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return !!strchr(buf, 'K');
}

/*
 * The core drops its reference on a patch module shortly after the
 * patch's directory is gone: retry for a while before calling the
 * module pinned.  Return: 0, or -1 with errno set.
 */
static int remove_module(const char *name)
{
	double start = now();

	while (syscall(SYS_delete_module, name, O_NONBLOCK)) {
		if ((errno != EWOULDBLOCK && errno != EBUSY) ||
		    now() - start >= UNLOAD_GRACE_S)
			return -1;
		sleep_ms(POLL_MS);
	}
	return 0;
}

int cmd_unload(int argc, char **argv)
{
	char path[PATH_MAX], buf[8];
	struct opts o;
	double start;
	char *name;
	int ret;

	ret = begin(argc, argv, "t", true, true, &o);
	if (ret)
		return ret;
	name = (char *)o.arg;
	ret = module_is_livepatch(name);
	if (ret == -ENOENT) {
		err("no module '%s' is loaded (see '%s status')", name, progname);
		return EXIT_FAIL;
	} else if (ret < 0) {
		err("%s: %s", name, strerror(-ret));
		return EXIT_FAIL;
	} else if (!ret) {
		err("%s is not a live patch module: remove it with rmmod", name);
		return EXIT_FAIL;
	}

	start = now();
	snprintf(path, sizeof(path), KLP_SYSFS "/%s/enabled", name);
	ret = klp_read_file(path, buf, sizeof(buf));
	if (ret >= 0 && !strcmp(buf, "1")) {
		if (!no_other_transition(name))
			return EXIT_FAIL;
		ret = klp_write_file(path, "0");
		if (ret && ret != -ENOENT && ret != -ENODEV) {
			err("%s: cannot disable it: %s", name, strerror(-ret));
			return EXIT_FAIL;
		}
		printf("%s: disabling\n", name);
	}
	ret = wait_for(name, o.timeout, true);
	if (ret)
		return ret;
	if (remove_module(name)) {
		if (errno == EWOULDBLOCK || errno == EBUSY)
			err("%s: disabled, but in use: a forced transition keeps it until reboot",
			    name);
		else
			err("%s: disabled, but cannot remove the module: %s",
			    name, strerror(errno));
		return EXIT_FAIL;
	}
	printf("%s: unloaded (%.3f s)\n", name, now() - start);
	return EXIT_OK;
}

int cmd_wait(int argc, char **argv)
{
	struct opts o;
	char *name;

	if (parse_opts(argc, argv, "t", false, &o))
		return EXIT_USAGE;
	if (opt_json) {
		err("--json is for status, blockers, functions and tasks");
		return EXIT_USAGE;
	}
	if (!need_livepatch())
		return EXIT_FAIL;
	name = (char *)o.arg;
	if (name) {
		klp_module_name(name);
		if (!patch_exists(name)) {
			no_such_patch(name);
			return EXIT_FAIL;
		}
	}
	return wait_for(name, o.timeout, false);
}

int cmd_force(int argc, char **argv)
{
	char path[PATH_MAX];
	struct opts o;
	char *name;
	int ret;

	ret = begin(argc, argv, "y", true, true, &o);
	if (ret)
		return ret;
	name = (char *)o.arg;
	ret = patch_transition(name);
	if (ret == -ENOENT) {
		no_such_patch(name);
		return EXIT_FAIL;
	} else if (ret < 0) {
		err("%s: %s", name, strerror(-ret));
		return EXIT_FAIL;
	} else if (!ret) {
		err("%s is not in transition: there is nothing to force", name);
		return EXIT_FAIL;
	}
	if (!o.yes) {
		fprintf(stderr,
			"Forcing completes the transition of %s at once.\n"
			"The tasks that have not switched are moved without checking\n"
			"their stacks, and may run old and new code together.  After a\n"
			"forced disable (or a forced replace), the modules of the patches\n"
			"left behind can never be removed, until reboot.  Reversing the\n"
			"transition is usually better.\n"
			"Run '%s force %s --yes' to force it.\n",
			name, progname, name);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), KLP_SYSFS "/%s/force", name);
	ret = klp_write_file(path, "1");
	if (ret == -EINVAL || ret == -ENOENT || ret == -ENODEV) {
		printf("%s: the transition ended by itself, nothing was forced\n",
		       name);
		return EXIT_OK;
	} else if (ret) {
		err("%s: cannot force: %s", name, strerror(-ret));
		return EXIT_FAIL;
	}
	printf("%s: transition forced\n", name);
	return EXIT_OK;
}
