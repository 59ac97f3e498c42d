// SPDX-License-Identifier: GPL-2.0
/*
 * klpctl: the state of live patching, as /sys/kernel/livepatch and
 * /proc/<pid>/patch_state show it (Documentation/ABI/testing/
 * sysfs-kernel-livepatch).  Patches come and go while they are read:
 * a patch whose directory vanishes half-way is left out, not an error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "klpctl.h"

/* PF_KTHREAD, in the flags field of /proc/<pid>/stat. */
#define PF_KTHREAD	0x00200000

bool klp_available(void)
{
	struct stat sb;

	return stat(KLP_SYSFS, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/*
 * Read @path into @buf, NUL-terminated, without its trailing newline.
 * Return: the length read, or -errno.
 */
int klp_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			close(fd);
			return ret;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return len;
}

/* Write @val and a newline to @path, in one write().  Return: 0 or -errno. */
int klp_write_file(const char *path, const char *val)
{
	char line[64];
	int fd, ret = 0;
	int len;

	len = snprintf(line, sizeof(line), "%s\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != len)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int klp_patch_file(const char *patch, const char *file, char *buf,
		   size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), KLP_SYSFS "/%s/%s", patch, file);
	return klp_read_file(path, buf, size);
}

static int read_patch_int(const char *patch, const char *file,
			  long long *val)
{
	char buf[32], *end;
	int ret;

	ret = klp_patch_file(patch, file, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoll(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

/* Module names use '_' where a file name may use '-'. */
void klp_module_name(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

static bool is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int cmp_func(const void *a, const void *b)
{
	const struct klp_func_info *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return (x->sympos > y->sympos) - (x->sympos < y->sympos);
}

/* The <function,sympos> directories of one object. */
static int read_funcs(const char *dir, struct klp_obj_info *obj)
{
	struct klp_func_info *f;
	struct dirent *de;
	char path[PATH_MAX];
	char *comma;
	DIR *d;
	int ret = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		comma = strrchr(de->d_name, ',');
		if (!comma)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) || !is_dir(path))
			continue;
		f = realloc(obj->funcs, (obj->nr_funcs + 1) * sizeof(*f));
		if (!f) {
			ret = -ENOMEM;
			break;
		}
		obj->funcs = f;
		f += obj->nr_funcs;
		f->name = strndup(de->d_name, comma - de->d_name);
		if (!f->name) {
			ret = -ENOMEM;
			break;
		}
		f->sympos = strtoul(comma + 1, NULL, 10);
		obj->nr_funcs++;
	}
	closedir(d);
	if (obj->funcs)
		qsort(obj->funcs, obj->nr_funcs, sizeof(*obj->funcs), cmp_func);
	return ret;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct klp_obj_info *x = a, *y = b;

	/* vmlinux first, then the modules by name. */
	if (!strcmp(x->name, "vmlinux") || !strcmp(y->name, "vmlinux"))
		return strcmp(y->name, "vmlinux") ? -1 :
		       strcmp(x->name, "vmlinux") ? 1 : 0;
	return strcmp(x->name, y->name);
}

/* The object directories of one patch: those that hold "patched". */
static int read_objs(struct klp_patch_info *p)
{
	struct klp_obj_info *o;
	struct dirent *de;
	char dir[PATH_MAX], path[PATH_MAX], buf[8];
	DIR *d;
	int ret = 0;

	snprintf(dir, sizeof(dir), KLP_SYSFS "/%s", p->name);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/patched", dir,
				     de->d_name) >= sizeof(path) ||
		    klp_read_file(path, buf, sizeof(buf)) < 0)
			continue;
		o = realloc(p->objs, (p->nr_objs + 1) * sizeof(*o));
		if (!o) {
			ret = -ENOMEM;
			break;
		}
		p->objs = o;
		o += p->nr_objs;
		memset(o, 0, sizeof(*o));
		o->name = strdup(de->d_name);
		if (!o->name) {
			ret = -ENOMEM;
			break;
		}
		p->nr_objs++;
		o->patched = !strcmp(buf, "1");
		/* The path of "patched" just read, without "/patched". */
		*strrchr(path, '/') = '\0';
		ret = read_funcs(path, o);
		if (ret)
			break;
		p->nr_funcs += o->nr_funcs;
	}
	closedir(d);
	if (p->objs)
		qsort(p->objs, p->nr_objs, sizeof(*p->objs), cmp_obj);
	return ret;
}

static void free_patch(struct klp_patch_info *p)
{
	int i, j;

	for (i = 0; i < p->nr_objs; i++) {
		for (j = 0; j < p->objs[i].nr_funcs; j++)
			free(p->objs[i].funcs[j].name);
		free(p->objs[i].funcs);
		free(p->objs[i].name);
	}
	free(p->objs);
	free(p->name);
}

/* Return: 0, -ENOENT if the patch went away meanwhile, or -errno. */
static int read_patch(const char *name, struct klp_patch_info *p)
{
	long long v;
	int ret;

	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return -ENOMEM;
	ret = read_patch_int(name, "enabled", &v);
	if (ret)
		goto fail;
	p->enabled = v;
	ret = read_patch_int(name, "transition", &v);
	if (ret)
		goto fail;
	p->transition = v;
	/* Files that older kernels do not have read as 0. */
	if (!read_patch_int(name, "replace", &v))
		p->replace = v;
	if (!read_patch_int(name, "stack_order", &v))
		p->stack_order = v;
	if (!read_patch_int(name, "transition_ns", &v))
		p->transition_ns = v;
	ret = read_objs(p);
	if (ret)
		goto fail;
	return 0;
fail:
	free_patch(p);
	return ret;
}

static int cmp_patch(const void *a, const void *b)
{
	const struct klp_patch_info *x = a, *y = b;

	if (x->stack_order != y->stack_order)
		return x->stack_order - y->stack_order;
	return strcmp(x->name, y->name);
}

/**
 * klp_read_state() - read every patch of /sys/kernel/livepatch
 * @st: filled in; free with klp_free_state()
 *
 * Return: 0 or -errno.
 */
int klp_read_state(struct klp_state *st)
{
	struct klp_patch_info *p;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	d = opendir(KLP_SYSFS);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		p = realloc(st->patches, (st->nr_patches + 1) * sizeof(*p));
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		st->patches = p;
		ret = read_patch(de->d_name, &p[st->nr_patches]);
		/* Gone meanwhile: ENODEV while sysfs removes its files. */
		if (ret == -ENOENT || ret == -ENODEV) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		st->nr_patches++;
	}
	closedir(d);
	if (ret) {
		klp_free_state(st);
		return ret;
	}
	if (st->patches)
		qsort(st->patches, st->nr_patches, sizeof(*st->patches),
		      cmp_patch);
	return 0;
}

void klp_free_state(struct klp_state *st)
{
	int i;

	for (i = 0; i < st->nr_patches; i++)
		free_patch(&st->patches[i]);
	free(st->patches);
	memset(st, 0, sizeof(*st));
}

struct klp_patch_info *klp_find_patch(struct klp_state *st, const char *name)
{
	int i;

	for (i = 0; i < st->nr_patches; i++)
		if (!strcmp(st->patches[i].name, name))
			return &st->patches[i];
	return NULL;
}

struct klp_patch_info *klp_in_transition(struct klp_state *st)
{
	int i;

	for (i = 0; i < st->nr_patches; i++)
		if (st->patches[i].transition)
			return &st->patches[i];
	return NULL;
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/**
 * klp_count_tasks() - how many threads are in each universe
 * @tc: filled in
 *
 * Reads /proc/<pid>/task/<tid>/patch_state of every thread.  Idle tasks
 * are not in /proc and are not counted.
 *
 * Return: 0, or -EACCES when the files cannot be read (not root), or
 * -ENOENT when the kernel has no patch_state.
 */
int klp_count_tasks(struct task_counts *tc)
{
	char path[PATH_MAX], buf[16];
	struct dirent *pe, *te;
	DIR *proc, *tasks;
	int ret, seen_error = 0;
	bool denied = false;
	long v;

	memset(tc, 0, sizeof(*tc));
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		if (!numeric(pe->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", pe->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;	/* gone */
		while ((te = readdir(tasks))) {
			if (!numeric(te->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/patch_state",
				 pe->d_name, te->d_name);
			ret = klp_read_file(path, buf, sizeof(buf));
			if (ret < 0) {
				/*
				 * A thread that exited meanwhile is not counted;
				 * one that may not be read (not root) makes the
				 * counts wrong.
				 */
				if (!seen_error && ret != -ESRCH)
					seen_error = ret;
				if (ret == -EACCES)
					denied = true;
				continue;
			}
			v = strtol(buf, NULL, 10);
			if (v < UNIVERSE_NONE || v > UNIVERSE_NEW)
				continue;
			tc->universe[v + 1]++;
			tc->total++;
		}
		closedir(tasks);
	}
	closedir(proc);
	if (denied)
		return -EACCES;
	/* Not one thread read: the error is not a thread that exited. */
	if (!tc->total && seen_error)
		return seen_error;
	return 0;
}

static bool is_kthread(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long flags;
	int i;

	if (pid == 0)
		return true;	/* idle tasks */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (klp_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	/* pid (comm) state ppid pgrp session tty tpgid flags: after ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return false;
	for (i = 0; i < 7 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	flags = strtoul(p + 1, NULL, 10);
	return flags & PF_KTHREAD;
}

static const char *const plain_reasons[] = {
	"running", "unreliable stack", "pending", "offline",
};

/*
 * One line "<pid> <comm> <reason>": the comm may contain spaces, the
 * reason is one of plain_reasons or a function as %pS prints it,
 * optionally followed by " [module]".
 */
static int parse_blocker(char *line, struct blocker *b)
{
	char *rest, *reason, *sp;
	size_t len, i;

	memset(b, 0, sizeof(*b));
	b->pid = strtol(line, &rest, 10);
	if (rest == line || *rest != ' ')
		return -EINVAL;
	rest++;
	len = strlen(rest);
	reason = NULL;
	for (i = 0; i < ARRAY_SIZE(plain_reasons); i++) {
		size_t rl = strlen(plain_reasons[i]);

		if (len > rl && rest[len - rl - 1] == ' ' &&
		    !strcmp(rest + len - rl, plain_reasons[i])) {
			reason = rest + len - rl;
			break;
		}
	}
	if (!reason) {
		/* Else a function, as %pS prints it: "sym+0x1/0x2 [mod]". */
		sp = strrchr(rest, ' ');
		if (!sp)
			return -EINVAL;
		if (sp[1] == '[' && sp > rest) {
			*sp = '\0';
			reason = strrchr(rest, ' ');
			*sp = ' ';
			if (!reason)
				return -EINVAL;
		} else {
			reason = sp;
		}
		reason++;
		b->in_function = strstr(reason, "+0x") || !strncmp(reason, "0x", 2);
	}
	snprintf(b->comm, sizeof(b->comm), "%.*s",
		 (int)(reason - 1 - rest), rest);
	snprintf(b->reason, sizeof(b->reason), "%s", reason);
	b->kthread = is_kthread(b->pid);
	return 0;
}

/**
 * klp_read_blockers() - the tasks that hold the transition of @patch
 * @patch: the patch's name
 * @b: filled in; free with klp_free_blockers()
 *
 * Return: 0 or -errno (-ENOENT: no such patch, -EACCES: not root).
 */
int klp_read_blockers(const char *patch, struct blockers *b)
{
	static char buf[65536];
	struct blocker *list;
	char *line, *save;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = klp_patch_file(patch, "blockers", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "...")) {
			b->truncated = true;
			continue;
		}
		list = realloc(b->list, (b->nr + 1) * sizeof(*list));
		if (!list) {
			klp_free_blockers(b);
			return -ENOMEM;
		}
		b->list = list;
		if (!parse_blocker(line, &list[b->nr]))
			b->nr++;
	}
	return 0;
}

void klp_free_blockers(struct blockers *b)
{
	free(b->list);
	memset(b, 0, sizeof(*b));
}
