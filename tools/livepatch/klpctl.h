/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpctl - inspect and control kernel live patches
 *
 * Shared declarations: the state read from sysfs and /proc (state.c),
 * the JSON writer (json.c), the check of a module file (modfile.c) and
 * the subcommands (show.c, act.c).
 */
#ifndef KLPCTL_H
#define KLPCTL_H

#include <linux/kernel.h>
#include <stdbool.h>
#include <stdio.h>

#define KLP_SYSFS	"/sys/kernel/livepatch"
/* The kernel's limits on the names klpctl shows. */
#define KSYM_NAME_LEN	512
#define MODULE_NAME_LEN	56

/* Exit codes, documented in Documentation/livepatch/klpctl.rst. */
enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,	/* the request failed */
	EXIT_USAGE	= 2,	/* bad command line */
	EXIT_BUSY	= 3,	/* status: a transition is running */
	EXIT_TIMEOUT	= 4,	/* a wait timed out; the blockers were printed */
};

/* The universe of a task, as /proc/<pid>/patch_state shows it. */
enum {
	UNIVERSE_NONE		= -1,	/* no transition */
	UNIVERSE_OLD		= 0,
	UNIVERSE_NEW		= 1,
};

struct klp_func_info {
	char *name;
	unsigned long sympos;
};

struct klp_obj_info {
	char *name;
	bool patched;
	int nr_funcs;
	struct klp_func_info *funcs;
};

struct klp_patch_info {
	char *name;
	bool enabled;
	bool transition;
	bool replace;
	int stack_order;
	unsigned long long transition_ns;
	int nr_objs;
	struct klp_obj_info *objs;
	int nr_funcs;
};

struct klp_state {
	int nr_patches;
	struct klp_patch_info *patches;	/* by stack_order */
};

struct task_counts {
	int universe[3];	/* indexed by patch_state + 1 */
	int total;
};

struct blocker {
	int pid;
	char comm[64];
	/* As the blockers file says it: a symbol, offsets and a module. */
	char reason[KSYM_NAME_LEN + 64 + MODULE_NAME_LEN];
	bool in_function;	/* reason is a function on the stack */
	bool kthread;
};

struct blockers {
	int nr;
	bool truncated;
	struct blocker *list;
};

/* state.c */
bool klp_available(void);
int klp_read_state(struct klp_state *st);
void klp_free_state(struct klp_state *st);
struct klp_patch_info *klp_find_patch(struct klp_state *st, const char *name);
struct klp_patch_info *klp_in_transition(struct klp_state *st);
int klp_count_tasks(struct task_counts *tc);
int klp_read_blockers(const char *patch, struct blockers *b);
void klp_free_blockers(struct blockers *b);
int klp_read_file(const char *path, char *buf, size_t size);
int klp_write_file(const char *path, const char *val);
int klp_patch_file(const char *patch, const char *file, char *buf,
		   size_t size);
void klp_module_name(char *name);

/* json.c */
struct json {
	FILE *out;
	int depth;
	bool first;
};

void json_init(struct json *j, FILE *out);
void json_open(struct json *j, const char *key, char brace);
void json_close(struct json *j, char brace);
void json_str(struct json *j, const char *key, const char *val);
void json_int(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
void json_end(struct json *j);

/* modfile.c */
int klp_check_module_file(const char *path, char *name, size_t size);

/* show.c */
int cmd_status(int argc, char **argv);
int cmd_blockers(int argc, char **argv);
int cmd_functions(int argc, char **argv);
int cmd_tasks(int argc, char **argv);
int print_blockers(const char *patch, bool json);

/* act.c */
int cmd_load(int argc, char **argv);
int cmd_disable(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_force(int argc, char **argv);

/* klpctl.c */
extern const char *progname;
extern bool opt_json;
void err(const char *fmt, ...) __printf(1, 2);
void no_such_patch(const char *name);
bool need_root(void);
bool need_livepatch(void);
int parse_seconds(const char *s, double *out);
int want_help(int argc, char **argv, const char *cmd);
const char *direction(const struct klp_patch_info *p);

#endif /* KLPCTL_H */
