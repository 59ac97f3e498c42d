// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl: the commands that only read: status, blockers, functions and
 * tasks, each as text for people or as JSON for scripts (--json, the
 * schema in Documentation/livepatch/klpctl.rst, "version" 1).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klpctl.h"

#define JSON_VERSION	1

static const char *fmt_ns(unsigned long long ns, char *buf, size_t size)
{
	if (ns < 1000000ULL)
		snprintf(buf, size, "%llu us", ns / 1000);
	else if (ns < 1000000000ULL)
		snprintf(buf, size, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.1f s", ns / 1e9);
	return buf;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* Extra arguments: at most one name. */
static int one_name(int argc, char **argv, const char *cmd, char **name)
{
	*name = NULL;
	if (argc == 2 && argv[1][0] == '-') {
		err("'%s' has no option '%s'; see '%s help %s'", cmd, argv[1],
		    progname, cmd);
		return -EINVAL;
	}
	if (argc > 2) {
		err("'%s' takes at most one NAME; see '%s help %s'", cmd,
		    progname, cmd);
		return -EINVAL;
	}
	if (argc == 2) {
		*name = argv[1];
		klp_module_name(*name);
	}
	return 0;
}

static int no_args(int argc, char **argv, const char *cmd)
{
	if (argc > 1) {
		err("'%s' takes no argument ('%s'); see '%s help %s'", cmd,
		    argv[1], progname, cmd);
		return -EINVAL;
	}
	return 0;
}

static int read_state_or_fail(struct klp_state *st)
{
	int ret;

	if (!need_livepatch())
		return -ENOENT;
	ret = klp_read_state(st);
	if (ret)
		err("cannot read " KLP_SYSFS ": %s", strerror(-ret));
	return ret;
}

/* Switched and total tasks of @p's transition: false if unknown. */
static bool transition_tasks(const struct klp_patch_info *p, int *switched,
			     int *total)
{
	struct task_counts tc;

	if (!p->transition || klp_count_tasks(&tc))
		return false;
	*switched = tc.universe[(p->enabled ? UNIVERSE_NEW : UNIVERSE_OLD) + 1];
	*total = tc.universe[UNIVERSE_OLD + 1] + tc.universe[UNIVERSE_NEW + 1];
	return true;
}

static void status_json_patch(struct json *j, const struct klp_patch_info *p)
{
	int i, k, switched, total;

	json_open(j, NULL, '{');
	json_str(j, "name", p->name);
	json_int(j, "stack_order", p->stack_order);
	json_bool(j, "enabled", p->enabled);
	json_bool(j, "replace", p->replace);
	json_bool(j, "transition", p->transition);
	json_int(j, "transition_ns", p->transition_ns);
	if (p->transition && transition_tasks(p, &switched, &total)) {
		json_open(j, "tasks", '{');
		json_int(j, "switched", switched);
		json_int(j, "total", total);
		json_close(j, '}');
	} else {
		json_null(j, "tasks");
	}
	json_int(j, "functions", p->nr_funcs);
	json_open(j, "objects", '[');
	for (i = 0; i < p->nr_objs; i++) {
		const struct klp_obj_info *o = &p->objs[i];

		json_open(j, NULL, '{');
		json_str(j, "name", o->name);
		json_bool(j, "patched", o->patched);
		json_open(j, "functions", '[');
		for (k = 0; k < o->nr_funcs; k++) {
			json_open(j, NULL, '{');
			json_str(j, "name", o->funcs[k].name);
			json_int(j, "sympos", o->funcs[k].sympos);
			json_close(j, '}');
		}
		json_close(j, ']');
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

static void status_text_patch(const struct klp_patch_info *p)
{
	int i, switched, total;
	char t[32];

	printf("[%d] %s: %s%s, %d function%s", p->stack_order, p->name,
	       p->enabled ? "enabled" : "disabled",
	       p->replace ? ", cumulative (replaces the patches below)" : "",
	       p->nr_funcs, plural(p->nr_funcs));
	if (!p->transition && p->transition_ns)
		printf(", last transition %s", fmt_ns(p->transition_ns, t, sizeof(t)));
	putchar('\n');
	if (p->transition) {
		printf("    transition: %s for %s", direction(p),
		       fmt_ns(p->transition_ns, t, sizeof(t)));
		if (transition_tasks(p, &switched, &total))
			printf(", %d of %d tasks switched", switched, total);
		printf("; see '%s blockers'\n", progname);
	}
	for (i = 0; i < p->nr_objs; i++) {
		const struct klp_obj_info *o = &p->objs[i];

		printf("    %s: %s, %d function%s\n", o->name,
		       o->patched ? "patched" :
		       !p->enabled && !p->transition ? "not patched" :
		       "waiting for the module to be loaded",
		       o->nr_funcs, plural(o->nr_funcs));
	}
}

/**
 * cmd_status() - the patches in stack order
 * @argc: argument count, the command name included
 * @argv: [--json] [NAME]
 *
 * Return: EXIT_BUSY if a transition is running (NAME's, with NAME),
 * EXIT_OK if not, EXIT_FAIL or EXIT_USAGE.
 */
int cmd_status(int argc, char **argv)
{
	struct klp_patch_info *p, *busy;
	struct klp_state st;
	struct json j;
	char *name;
	int i;

	if (one_name(argc, argv, "status", &name))
		return EXIT_USAGE;
	if (read_state_or_fail(&st))
		return EXIT_FAIL;
	busy = klp_in_transition(&st);
	if (name) {
		p = klp_find_patch(&st, name);
		if (!p) {
			no_such_patch(name);
			klp_free_state(&st);
			return EXIT_FAIL;
		}
		if (busy != p)
			busy = NULL;
	}

	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_int(&j, "version", JSON_VERSION);
		json_bool(&j, "transition", busy);
		json_open(&j, "patches", '[');
		for (i = 0; i < st.nr_patches; i++)
			if (!name || &st.patches[i] == p)
				status_json_patch(&j, &st.patches[i]);
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else if (!st.nr_patches) {
		printf("no live patches\n");
	} else {
		for (i = 0; i < st.nr_patches; i++)
			if (!name || &st.patches[i] == p)
				status_text_patch(&st.patches[i]);
		if (geteuid() && busy)
			printf("(task counts and blockers need root)\n");
	}
	klp_free_state(&st);
	return busy ? EXIT_BUSY : EXIT_OK;
}

/* What the kernel does about a blocker, and what the operator can do. */
struct advice {
	const char *kernel;
	const char *you;
};

static struct advice advise(const struct blocker *b)
{
	static const char signal[] =
		"sent a fake signal, it switches on its way to user space";
	struct advice a = { .you = "wait" };

	if (b->in_function) {
		a.kernel = b->kthread ?
			"woken up, it switches at a safe point once out of the function" :
			signal;
		a.you = "wait, or end what it waits for";
	} else if (!strcmp(b->reason, "running")) {
		a.kernel = b->kthread ? "retried, it is checked when it sleeps" : signal;
	} else if (!strcmp(b->reason, "pending")) {
		a.kernel = "nothing holds it: it switches at its next safe point";
	} else if (!strcmp(b->reason, "offline")) {
		a.kernel = "the idle task of an offline CPU: the next retry switches it";
	} else if (!strcmp(b->reason, "unreliable stack")) {
		a.kernel = "retried";
		a.you = "wait; if it stays, only force moves it";
	} else {
		a.kernel = "a reason this klpctl does not know";
	}
	return a;
}

/* @s for a terminal: anything but printable ASCII becomes '?'. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i < size - 1; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char *reason_key(const struct blocker *b)
{
	static const char *const known[] = { "running", "pending", "offline" };
	size_t i;

	if (b->in_function)
		return "function";
	if (!strcmp(b->reason, "unreliable stack"))
		return "unreliable_stack";
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(b->reason, known[i]))
			return known[i];
	return "unknown";
}

/**
 * print_blockers() - print the tasks that hold the transition of @patch
 * @patch: the patch in transition, or NULL when none is
 * @json: as JSON
 *
 * Return: 0 or -errno.
 */
int print_blockers(const char *patch, bool json)
{
	struct blockers b = { };
	char comm[sizeof(b.list->comm)];
	struct advice adv;
	struct json j;
	int i, ret;

	if (patch) {
		ret = klp_read_blockers(patch, &b);
		if (ret == -ENOENT)
			patch = NULL;	/* its transition ended, it is gone */
		else if (ret)
			return ret;
	}
	if (json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_int(&j, "version", JSON_VERSION);
		if (patch)
			json_str(&j, "patch", patch);
		else
			json_null(&j, "patch");
		json_bool(&j, "truncated", b.truncated);
		json_open(&j, "blockers", '[');
		for (i = 0; i < b.nr; i++) {
			json_open(&j, NULL, '{');
			json_int(&j, "pid", b.list[i].pid);
			json_str(&j, "comm", b.list[i].comm);
			json_bool(&j, "kthread", b.list[i].kthread);
			json_str(&j, "reason", reason_key(&b.list[i]));
			if (b.list[i].in_function)
				json_str(&j, "function", b.list[i].reason);
			else
				json_null(&j, "function");
			adv = advise(&b.list[i]);
			json_str(&j, "kernel", adv.kernel);
			json_str(&j, "advice", adv.you);
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else if (patch) {
		printf("%s: %d task%s not switched%s\n", patch, b.nr, plural(b.nr),
		       b.truncated ? " shown, the list was cut" : "");
		for (i = 0; i < b.nr; i++) {
			printf("  %-7d %-6s %-16s %s\n", b.list[i].pid,
			       b.list[i].kthread ? "kernel" : "user",
			       printable(b.list[i].comm, comm, sizeof(comm)),
			       b.list[i].reason);
			adv = advise(&b.list[i]);
			printf("          kernel: %s; you: %s\n", adv.kernel, adv.you);
		}
		if (b.nr)
			printf("Stuck?  Reverse an enable with '%s disable %s', or as a\n"
			       "last resort '%s force %s' (see '%s help force').\n",
			       progname, patch, progname, patch, progname);
	}
	klp_free_blockers(&b);
	return 0;
}

int cmd_blockers(int argc, char **argv)
{
	struct klp_patch_info *p;
	struct klp_state st;
	int ret;

	if (no_args(argc, argv, "blockers"))
		return EXIT_USAGE;
	if (!need_root() || read_state_or_fail(&st))
		return EXIT_FAIL;
	p = klp_in_transition(&st);
	ret = print_blockers(p ? p->name : NULL, opt_json);
	if (ret)
		err("cannot read the blockers of %s: %s", p->name, strerror(-ret));
	else if (!p && !opt_json)
		printf("no transition is running\n");
	klp_free_state(&st);
	return ret ? EXIT_FAIL : EXIT_OK;
}

struct site {
	const char *obj;
	const struct klp_func_info *func;
	int nr;				/* patches that replace it */
	const struct klp_patch_info **patches;	/* by stack order */
	bool *patched;			/* the object of patches[i] is */
	const struct klp_patch_info *top;	/* supplies it now */
};

static void free_sites(struct site *sites, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(sites[i].patches);
		free(sites[i].patched);
	}
	free(sites);
}

static struct site *find_site(struct site *sites, int n, const char *obj,
			      const struct klp_func_info *f)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(sites[i].obj, obj) &&
		    !strcmp(sites[i].func->name, f->name) &&
		    sites[i].func->sympos == f->sympos)
			return &sites[i];
	return NULL;
}

/*
 * Every function that a patch replaces, with the patches that replace
 * it in stack order.  The newest whose object is patched supplies it.
 */
static struct site *collect_sites(struct klp_state *st, int *nr)
{
	const struct klp_patch_info **list;
	struct site *sites = NULL, *s, *more;
	bool *flags;
	int i, k, f, n = 0;

	for (i = 0; i < st->nr_patches; i++) {
		const struct klp_patch_info *p = &st->patches[i];

		for (k = 0; k < p->nr_objs; k++) {
			const struct klp_obj_info *o = &p->objs[k];

			for (f = 0; f < o->nr_funcs; f++) {
				s = find_site(sites, n, o->name, &o->funcs[f]);
				if (!s) {
					more = realloc(sites, (n + 1) * sizeof(*s));
					if (!more)
						goto nomem;
					sites = more;
					s = &sites[n++];
					memset(s, 0, sizeof(*s));
					s->obj = o->name;
					s->func = &o->funcs[f];
				}
				list = realloc(s->patches,
					       (s->nr + 1) * sizeof(*list));
				if (!list)
					goto nomem;
				s->patches = list;
				flags = realloc(s->patched,
						(s->nr + 1) * sizeof(*flags));
				if (!flags)
					goto nomem;
				s->patched = flags;
				s->patched[s->nr] = o->patched;
				s->patches[s->nr++] = p;
				if (o->patched)
					s->top = p;
			}
		}
	}
	*nr = n;
	return sites ? sites : calloc(1, sizeof(*sites));
nomem:
	free_sites(sites, n);
	return NULL;
}

/*
 * Who supplies the function of @s: the top patch, over the patches
 * below it that also redirect it; during the top's own transition, the
 * tasks that have not switched run what is below (or, disabling, still
 * the top).
 */
static void print_supplier(const struct site *s)
{
	const struct klp_patch_info *below = NULL;
	bool over = false;
	int k;

	if (!s->top) {
		printf("(the original: %s)", strcmp(s->obj, "vmlinux") ?
		       "the module is not loaded, or nothing is enabled" :
		       "no enabled patch");
		return;
	}
	printf("%s", s->top->name);
	for (k = s->nr - 1; k >= 0; k--) {
		if (s->patches[k] == s->top || !s->patched[k])
			continue;
		if (!below)
			below = s->patches[k];
		printf("%s %s", over ? "" : ", over", s->patches[k]->name);
		over = true;
	}
	if (s->top->transition)
		printf(" (%s: tasks not switched yet run %s)",
		       direction(s->top), !s->top->enabled ? "it still" :
		       below ? below->name : "the original");
}

int cmd_functions(int argc, char **argv)
{
	struct klp_state st;
	struct site *sites;
	struct json j;
	char *name, fn[KSYM_NAME_LEN + 32];
	int i, k, n = 0;

	if (one_name(argc, argv, "functions", &name))
		return EXIT_USAGE;
	if (read_state_or_fail(&st))
		return EXIT_FAIL;
	if (name && !klp_find_patch(&st, name)) {
		no_such_patch(name);
		klp_free_state(&st);
		return EXIT_FAIL;
	}
	sites = collect_sites(&st, &n);
	if (!sites) {
		err("out of memory");
		klp_free_state(&st);
		return EXIT_FAIL;
	}
	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_int(&j, "version", JSON_VERSION);
		json_open(&j, "functions", '[');
	} else if (n) {
		printf("%-16s %-32s %s\n", "OBJECT", "FUNCTION,SYMPOS", "SUPPLIED BY");
	}
	for (i = 0; i < n; i++) {
		const struct site *s = &sites[i];
		bool mine = !name;

		for (k = 0; k < s->nr; k++)
			mine |= name && !strcmp(s->patches[k]->name, name);
		if (!mine)
			continue;
		if (opt_json) {
			json_open(&j, NULL, '{');
			json_str(&j, "object", s->obj);
			json_str(&j, "function", s->func->name);
			json_int(&j, "sympos", s->func->sympos);
			if (s->top)
				json_str(&j, "patch", s->top->name);
			else
				json_null(&j, "patch");
			json_bool(&j, "transition", s->top && s->top->transition);
			json_open(&j, "patches", '[');
			for (k = 0; k < s->nr; k++)
				json_str(&j, NULL, s->patches[k]->name);
			json_close(&j, ']');
			json_close(&j, '}');
			continue;
		}
		snprintf(fn, sizeof(fn), "%s,%lu", s->func->name, s->func->sympos);
		printf("%-16s %-32s ", s->obj, fn);
		print_supplier(s);
		putchar('\n');
	}
	if (opt_json) {
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else if (!n) {
		printf("no patched functions\n");
	}
	free_sites(sites, n);
	klp_free_state(&st);
	return EXIT_OK;
}

int cmd_tasks(int argc, char **argv)
{
	struct klp_patch_info *p;
	struct task_counts tc;
	struct klp_state st;
	struct json j;
	int ret;

	if (no_args(argc, argv, "tasks"))
		return EXIT_USAGE;
	if (!need_root() || read_state_or_fail(&st))
		return EXIT_FAIL;
	ret = klp_count_tasks(&tc);
	if (ret) {
		err("cannot read /proc/<pid>/patch_state: %s", strerror(-ret));
		klp_free_state(&st);
		return EXIT_FAIL;
	}
	p = klp_in_transition(&st);
	if (opt_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_int(&j, "version", JSON_VERSION);
		if (p) {
			json_str(&j, "patch", p->name);
			json_str(&j, "direction", direction(p));
		} else {
			json_null(&j, "patch");
			json_null(&j, "direction");
		}
		json_open(&j, "tasks", '{');
		json_int(&j, "none", tc.universe[UNIVERSE_NONE + 1]);
		json_int(&j, "unpatched", tc.universe[UNIVERSE_OLD + 1]);
		json_int(&j, "patched", tc.universe[UNIVERSE_NEW + 1]);
		json_int(&j, "total", tc.total);
		json_close(&j, '}');
		json_close(&j, '}');
		json_end(&j);
	} else if (p) {
		printf("%s %s: %d task%s patched, %d unpatched",
		       p->name, direction(p),
		       tc.universe[UNIVERSE_NEW + 1],
		       plural(tc.universe[UNIVERSE_NEW + 1]),
		       tc.universe[UNIVERSE_OLD + 1]);
		if (tc.universe[UNIVERSE_NONE + 1])
			printf(", %d outside the transition",
			       tc.universe[UNIVERSE_NONE + 1]);
		printf(" (%d in all)\n", tc.total);
	} else {
		printf("no transition: %d task%s, all in the current state\n",
		       tc.total, plural(tc.total));
	}
	klp_free_state(&st);
	return EXIT_OK;
}
