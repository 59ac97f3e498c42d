// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl - inspect and control kernel live patches
 *
 * The command line: global options, the subcommand table and the help.
 * See Documentation/livepatch/klpctl.rst.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klpctl.h"

const char *progname = "klpctl";
bool opt_json;

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "status", cmd_status, "status [--json] [NAME]",
	  "Show every live patch, or the one named NAME, in stack order (the\n"
	  "order they were enabled; the last one wins where patches replace\n"
	  "the same function): whether it is enabled, whether it is cumulative\n"
	  "(replace), its objects (patched, or waiting for their module to be\n"
	  "loaded) and functions, how long its last transition took, and the\n"
	  "transition in progress: its direction, how long it has run and how\n"
	  "many tasks have switched.  The default command.\n"
	  "\n"
	  "Exit status: 0 when no transition is running, 3 when one is.\n" },
	{ "blockers", cmd_blockers, "blockers [--json]",
	  "List the tasks that hold the running transition: their pid, comm,\n"
	  "whether they are kernel threads, what keeps them from switching\n"
	  "(a function of the patch on their stack, running on a CPU, or not\n"
	  "at a safe point yet), and what the kernel does about it and what\n"
	  "you can do.  Says so when no transition is running.\n" },
	{ "functions", cmd_functions, "functions [--json] [NAME]",
	  "For each patched function, the patch that supplies it now: the\n"
	  "newest enabled patch that replaces it (the top of the function's\n"
	  "stack), and the older ones below it.  With NAME, only the functions\n"
	  "of that patch.\n" },
	{ "tasks", cmd_tasks, "tasks [--json]",
	  "Count the threads in each universe, from /proc/<pid>/patch_state:\n"
	  "outside a transition every task reads -1; during one, 0 (unpatched)\n"
	  "or 1 (patched), whichever way the transition goes.  Idle tasks are\n"
	  "not in /proc and are not counted.\n" },
	{ "load", cmd_load, "load FILE.ko [--wait[=SECONDS]]",
	  "Load a live patch module, which enables its patch.  FILE must be an\n"
	  "uncompressed module built as a live patch (MODULE_INFO(livepatch,\n"
	  "\"Y\")); anything else is refused before it reaches the kernel, as\n"
	  "is a load while another transition runs.  With --wait, wait for the\n"
	  "transition to complete, at most SECONDS.\n" },
	{ "disable", cmd_disable, "disable NAME [--wait[=SECONDS]]",
	  "Disable the patch NAME: its transition back to the unpatched state\n"
	  "starts.  During NAME's own enabling transition, this reverses it.\n"
	  "With --wait, wait for the transition to complete, at most SECONDS.\n" },
	{ "unload", cmd_unload, "unload NAME [--timeout=SECONDS]",
	  "Disable the patch NAME if it is enabled, wait for its transition to\n"
	  "complete and its directory to go, then remove the module.\n" },
	{ "wait", cmd_wait, "wait [NAME] [--timeout=SECONDS]",
	  "Wait until no transition runs (or, with NAME, until NAME is not in\n"
	  "transition).  On a terminal, a line shows the progress.  When the\n"
	  "time runs out, the blockers are printed and the exit status is 4.\n" },
	{ "force", cmd_force, "force NAME --yes",
	  "Complete NAME's running transition at once, moving the tasks that\n"
	  "have not switched without checking their stacks.  A task may then\n"
	  "run old and new code together.  After a forced disable, or a forced\n"
	  "replace, the modules of the patches that were left can never be\n"
	  "removed: they stay loaded until the next reboot.  Reversing the\n"
	  "transition (disable during an enable) is usually the better way\n"
	  "out.  Without --yes, prints this and does nothing.\n" },
	{ }
};

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void print_usage(FILE *out)
{
	const struct command *c;

	fprintf(out,
		"usage: %s [--json] [COMMAND [ARGS]]\n"
		"\n"
		"Inspect and control the live patches of the running kernel.\n"
		"\n"
		"Commands:\n", progname);
	for (c = commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fprintf(out,
		"  help [COMMAND]\n"
		"\n"
		"--json: one JSON document on standard output (status, blockers,\n"
		"functions, tasks), its schema in Documentation/livepatch/klpctl.rst.\n"
		"\n"
		"Exit status: 0 done, 1 failed, 2 bad usage, 3 a transition is\n"
		"running (status), 4 a wait timed out (the blockers are printed).\n"
		"\n"
		"The name is not kpatch's or SUSE's \"klp\": systems may have those\n"
		"tools too, with other options.  klpctl speaks to the kernel's\n"
		"interface only: /sys/kernel/livepatch and /proc/<pid>/patch_state.\n");
}

static int command_help(const struct command *c, FILE *out)
{
	fprintf(out, "usage: %s %s\n\n%s", progname, c->usage, c->help);
	return EXIT_OK;
}

/* "CMD --help" or "CMD -h" anywhere among the arguments. */
int want_help(int argc, char **argv, const char *cmd)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return command_help(find_command(cmd), stdout) + 1;
	return 0;
}

void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void no_such_patch(const char *name)
{
	err("no live patch '%s' (see '%s status')", name, progname);
}

bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	err("this needs root: only root may see blockers and task states, or change patches");
	return false;
}

bool need_livepatch(void)
{
	if (klp_available())
		return true;
	err("this kernel has no live patching: " KLP_SYSFS " is missing (CONFIG_LIVEPATCH)");
	return false;
}

/* A number of seconds, fractions allowed.  Return: 0 or -EINVAL. */
int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= 0) || isinf(*out)) {
		err("not a number of seconds: '%s'", s);
		return -EINVAL;
	}
	return 0;
}

const char *direction(const struct klp_patch_info *p)
{
	return p->enabled ? "enabling" : "disabling";
}

int main(int argc, char **argv)
{
	const struct command *c;
	int i, n = 0, ret;

	/* --json is accepted anywhere; the rest is the command's. */
	for (i = 0; i < argc; i++) {
		if (i && !strcmp(argv[i], "--json"))
			opt_json = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	argv[argc] = NULL;

	if (argc < 2)
		return cmd_status(argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			print_usage(stdout);
			return EXIT_OK;
		}
		c = find_command(argv[2]);
		if (!c) {
			err("no command '%s'; see '%s help'", argv[2], progname);
			return EXIT_USAGE;
		}
		return command_help(c, stdout);
	}
	c = find_command(argv[1]);
	if (!c) {
		err("no command '%s'; see '%s help'", argv[1], progname);
		return EXIT_USAGE;
	}
	ret = want_help(argc - 1, argv + 1, c->name);
	if (ret)
		return ret - 1;
	return c->run(argc - 1, argv + 1);
}
